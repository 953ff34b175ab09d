"""Read a dataset into Arrow: csv, json, parquet (DuckDB), delta (deltalake), excel (openpyxl), sql.

A file path may name one file, a directory of part files (hive ``key=value`` folders included) or a
glob. Options are checked per format; an unknown option fails listing the accepted ones. Datasets on
object stores (a connection with ``is_local = False``) are read through :mod:`.remote`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...errors import ExecutionError, OdibiError
from ...plan.model import ReadSpec
from ..options import EMBEDDED
from ..sql.dialect import DUCKDB, require_type
from .files import input_files

Table = Any  # pyarrow.Table


def read_table(spec: ReadSpec, connection: Any, con: Any) -> Table:
    """Read ``spec`` through ``connection``; ``con`` is a DuckDB connection or cursor."""
    where = f"connection '{spec.connection}', {spec.format} {_source(spec)}"
    options = EMBEDDED.check("read", spec.format, spec.options, where)
    if spec.format == "sql":
        from .sql_reader import read_sql

        return read_sql(spec, connection, options, where)
    if not spec.path:
        raise ExecutionError(f"{where}: a {spec.format} read needs 'path'")
    _require_files(connection, where)
    if not connection.is_local:
        from .remote import read_remote

        return read_remote(connection, connection.resolve(spec.path), spec.format, options, con, where)
    return read_location(connection.resolve(spec.path), spec.format, options, con, where,
                         storage_options=connection.storage_options())


def scan_sql(spec: ReadSpec, connection: Any, con: Any = None) -> str | None:
    """The DuckDB query that scans ``spec`` (csv, json, parquet), else None.

    Lets the engine stream a read into SQL steps and a write without materializing it. An object
    store is scanned through its fsspec filesystem registered on ``con``'s database (no ``con``:
    None, so the caller reads eagerly).
    """
    if spec.format not in _SCANNED or not spec.path or not hasattr(connection, "resolve"):
        return None
    where = f"connection '{spec.connection}', {spec.format} {_source(spec)}"
    if not getattr(connection, "is_local", False):
        if con is None or not hasattr(connection, "filesystem"):
            return None
        from .remote import scan_remote

        options = EMBEDDED.check("read", spec.format, spec.options, where)
        return scan_remote(connection, connection.resolve(spec.path), spec.format, options, con, where)
    options = EMBEDDED.check("read", spec.format, spec.options, where)
    location = connection.resolve(spec.path)
    return _READERS[spec.format](input_files(location, spec.format, where), options, None, where)


def read_location(location: str, fmt: str, options: Mapping[str, Any], con: Any, where: str, *,
                  storage_options: Mapping[str, str] | None = None) -> Table:
    """Read the data at an absolute ``location`` (also used by writers to merge with existing data)."""
    reader = _READERS.get(fmt)
    if reader is None:
        raise ExecutionError(f"{where}: cannot read format '{fmt}'; use one of {', '.join(sorted(_READERS))}")
    try:
        if fmt == "delta":
            return read_delta(location, options, dict(storage_options or {}), where)
        return reader(input_files(location, fmt, where), options, con, where)
    except OdibiError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExecutionError(f"{where}: cannot read '{location}': {first}") from exc


def read_files(files: list[Any], fmt: str, options: Mapping[str, Any], con: Any, where: str) -> Table:
    """Read data ``files`` of ``fmt`` (paths or URLs DuckDB can open; for excel also file objects).

    With ``con=None`` a csv/json/parquet reader returns its SQL instead (see :func:`scan_sql`).
    """
    return _READERS[fmt](files, options, con, where)


def _read_csv(files: list[str], o: Mapping[str, Any], con: Any, where: str) -> Table:
    named: dict[str, Any] = {
        "header": _header(o.get("header")), "delim": o.get("delimiter", o.get("sep")), "quote": o.get("quote"),
        "escape": o.get("escape"), "skip": o.get("skip"), "nullstr": o.get("null_values", o.get("nullstr")),
        "all_varchar": o.get("all_varchar"), "ignore_errors": o.get("ignore_errors"),
        "encoding": o.get("encoding"), "dateformat": o.get("dateformat"),
        "timestampformat": o.get("timestampformat"), "strict_mode": o.get("strict_mode"),
        "union_by_name": True if len(files) > 1 else None,
    }
    dtype = o.get("dtype", o.get("types"))
    if isinstance(dtype, str):
        if _type(dtype) != "VARCHAR":
            raise ExecutionError(f"{where}: dtype '{dtype}' for every column is not supported; give a mapping "
                                 "{column: type}, or use dtype: str / all_varchar: true")
        named["all_varchar"] = True
    elif dtype:
        named["types"] = {str(k): _type(v) for k, v in dtype.items()}
    return _scan(con, "read_csv", files, named, o.get("columns"))


def _read_json(files: list[str], o: Mapping[str, Any], con: Any, where: str) -> Table:
    lines = o.get("lines")
    named: dict[str, Any] = {
        "format": "auto" if lines is None else ("newline_delimited" if lines else "array"),
        "ignore_errors": o.get("ignore_errors"), "dateformat": o.get("dateformat"),
        "timestampformat": o.get("timestampformat"), "union_by_name": True if len(files) > 1 else None,
    }
    return _scan(con, "read_json", files, named, o.get("columns"))


def _scan(con: Any, function: str, files: list[str], named: Mapping[str, Any], columns: Any) -> Table:
    """``function`` over ``files``; ``columns`` lists the columns to keep, or maps names to types (read as)."""
    if isinstance(columns, Mapping):
        named = {**named, "columns": {str(k): _type(v) for k, v in columns.items()}}
        columns = None
    return _select(con, f"{function}({DUCKDB.argument(files)}{_arguments(named)})", columns)


def _read_parquet(files: list[str], o: Mapping[str, Any], con: Any, where: str) -> Table:
    named = {"union_by_name": o.get("union_by_name", True if len(files) > 1 else None),
             "hive_partitioning": o.get("hive_partitioning")}
    return _select(con, f"read_parquet({DUCKDB.argument(files)}{_arguments(named)})", o.get("columns"))


def _read_excel(files: list[Any], o: Mapping[str, Any], con: Any, where: str) -> Table:
    from ...extras import require

    pd = require("pandas", purpose="reading excel")
    pa = require("pyarrow")
    require("openpyxl", purpose="reading excel")
    header = o.get("header", 0)
    kwargs = {"sheet_name": o.get("sheet_name", 0), "header": 0 if header is True else (None if header is False
              else header), "skiprows": o.get("skip"), "dtype": o.get("dtype"), "usecols": o.get("columns")}
    tables = []
    for path in files:
        frame = pd.read_excel(path, engine="openpyxl", **{k: v for k, v in kwargs.items() if v is not None})
        if isinstance(frame, dict):
            raise ExecutionError(f"{where}: sheet_name must name one sheet, not a list")
        frame.columns = [str(c) for c in frame.columns]
        tables.append(pa.Table.from_pandas(frame, preserve_index=False))
    return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]


def read_delta(location: str, o: Mapping[str, Any], storage: dict[str, str], where: str) -> Table:
    from ...extras import require

    deltalake = require("deltalake", purpose="reading delta tables")
    if not deltalake.DeltaTable.is_deltatable(location, storage_options=storage or None):
        raise ExecutionError(f"{where}: no delta table at '{location}' (no _delta_log); check the path, "
                             "or run the node that writes it first")
    version = o.get("version", o.get("versionAsOf"))
    table = deltalake.DeltaTable(location, version=None if version is None else int(version),
                                 storage_options=storage or None)
    if o.get("timestampAsOf") is not None:
        table.load_as_version(o["timestampAsOf"])
    columns = o.get("columns")
    return table.to_pyarrow_table(columns=list(columns) if columns else None)


def _select(con: Any, source: str, columns: Any) -> Table:
    """Run the scan into Arrow, or with ``con=None`` return its SQL (see :func:`scan_sql`)."""
    projection = ", ".join(DUCKDB.ident(c) for c in columns) if columns else "*"
    query = f"SELECT {projection} FROM {source}"
    return query if con is None else con.sql(query).to_arrow_table()


def _arguments(named: Mapping[str, Any]) -> str:
    """``, key := literal`` for each named table-function argument that is not None."""
    return "".join(f", {key} := {DUCKDB.argument(value)}" for key, value in named.items() if value is not None)


def _type(name: Any) -> str:
    return require_type(DUCKDB, name)


def _header(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return value == 0  # pandas-style header=0: the first row holds the names


def _source(spec: ReadSpec) -> str:
    if spec.path:
        return f"path '{spec.path}'"
    return f"table '{spec.table}'" if spec.table else "query"


def _require_files(connection: Any, where: str) -> None:
    if not hasattr(connection, "resolve") or not hasattr(connection, "is_local"):
        raise ExecutionError(f"{where}: needs a file connection (got {type(connection).__name__}); "
                             "point the read at a connection of type local, s3, azure_blob, azure_adls or gcs")


_SCANNED = ("csv", "json", "parquet")
_READERS: dict[str, Callable[..., Table]] = {
    "csv": _read_csv, "json": _read_json, "parquet": _read_parquet, "excel": _read_excel, "delta": read_delta,
}
