"""Read a dataset into Arrow: csv, json, parquet (DuckDB), delta (deltalake), excel (openpyxl), sql.

A file path may name one file, a directory of part files (hive ``key=value`` folders included) or a
glob. Options are checked per format; an unknown option fails listing the accepted ones. Datasets on
object stores (a connection with ``is_local = False``) are read through :mod:`.remote`.

Empty input is not data: a 0-byte csv or parquet file, or a csv that ends mid-row, is an error naming
the file (a header-only csv is a legal empty frame). Rows that ``ignore_errors`` drops from a csv are
found by :func:`read_rejects`; DuckDB's csv errors are shortened to the file, the line and the fix.
"""

from __future__ import annotations

import csv
import os
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import ExecutionError, OdibiError
from ...plan.model import ReadSpec
from ..options import DUCKDB_CSV, EMBEDDED
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
    if spec.format == "api":
        from ..http_source import api_reader

        return api_reader(spec, connection, options, where).read_all()
    if not spec.path:
        raise ExecutionError(f"{where}: a {spec.format} read needs 'path'")
    _require_files(connection, where)
    if not connection.is_local:
        from .remote import read_remote

        return read_remote(connection, connection.resolve(spec.path), spec.format, options, con, where)
    return read_location(connection.resolve(spec.path), spec.format, options, con, where,
                         storage_options=connection.storage_options())


def read_rejects(spec: ReadSpec, connection: Any, con: Any) -> Table | None:
    """The csv rows ``ignore_errors: true`` drops from a local read of ``spec`` (None when nothing can be
    dropped): one row per rejected line with the file, the line number, the raw line and DuckDB's reason.

    Each file is scanned once more with DuckDB's ``store_rejects`` (it cannot combine with the
    ``union_by_name`` a multi-file read uses), so the count is exact across parts and globs.
    """
    if spec.format != "csv" or not spec.options.get("ignore_errors") or not spec.path:
        return None
    if not getattr(connection, "is_local", False) or not hasattr(connection, "resolve"):
        return None
    where = f"connection '{spec.connection}', csv {_source(spec)}"
    options = EMBEDDED.check("read", "csv", spec.options, where)
    suffix = uuid.uuid4().hex[:12]
    errors, scans = f"odibi_rejects_{suffix}", f"odibi_reject_scans_{suffix}"
    store = {"store_rejects": True, "rejects_table": errors, "rejects_scan": scans}
    try:
        for path in input_files(connection.resolve(spec.path), "csv", where):
            named = {**_csv_arguments([path], options, where), **store}
            con.sql(f"SELECT bit_xor(hash(t)) FROM read_csv({DUCKDB.argument([path])}{_arguments(named)}) t").fetchall()
        return con.sql(
            f"SELECT s.file_path AS {REJECT_FILE}, e.line::BIGINT AS {REJECT_LINE}, "
            f"string_agg(e.error_message, '; ' ORDER BY e.column_idx) AS {REJECT_REASON}, "
            f"first(e.csv_line) AS {REJECT_RAW} FROM {errors} e JOIN {scans} s USING (scan_id, file_id) "
            f"GROUP BY ALL ORDER BY {REJECT_FILE}, {REJECT_LINE}").to_arrow_table()
    except Exception as exc:
        raise ExecutionError(f"{where}: cannot count the rows ignore_errors drops: {csv_error(exc)}") from exc
    finally:
        for table in (errors, scans):
            con.sql(f"DROP TABLE IF EXISTS {table}")


REJECT_FILE, REJECT_LINE, REJECT_RAW = "_odibi_file", "_odibi_line", "_odibi_raw_line"
REJECT_REASON = "_odibi_failed_tests"  # the column validation quarantine uses for the reason


def csv_error(exc: BaseException) -> str:
    """DuckDB's multi-line csv error as one line: file, line, reason, and the fix DuckDB suggests."""
    text = str(exc).strip()
    line, file = _CSV_LINE.search(text), _CSV_FILE.search(text)
    if not line or not file:
        return text.splitlines()[0] if text else type(exc).__name__
    body = text[line.end():].split("\n\n")[0].splitlines()
    reason = next((b.strip() for b in body if b.strip() and not b.startswith("Original Line:")), "malformed line")
    fixes = _CSV_FIX.findall(text)
    fix = f"; to fix: set the read option {fixes[0].strip()}" if fixes else ""
    return f"file '{file.group(1).strip()}', line {line.group(1)}: {reason}{fix}"


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)
_CSV_FIX = re.compile(r"e\.g\., ((?:max_line_size|sample_size|types|nullstr|null_padding|strict_mode|"
                      r"ignore_errors|all_varchar)\s*=\s*[^\n]+?)\s*$", re.MULTILINE)


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
        raise ExecutionError(f"{where}: cannot read '{location}': {csv_error(exc)}") from exc


def read_files(files: list[Any], fmt: str, options: Mapping[str, Any], con: Any, where: str) -> Table:
    """Read data ``files`` of ``fmt`` (paths or URLs DuckDB can open; for excel also file objects).

    With ``con=None`` a csv/json/parquet reader returns its SQL instead (see :func:`scan_sql`).
    """
    return _READERS[fmt](files, options, con, where)


def _read_csv(files: list[str], o: Mapping[str, Any], con: Any, where: str) -> Table:
    _check_not_empty(files, "csv", where)
    for path in files:
        _check_complete_csv(path, o, where)
    return _scan(con, "read_csv", files, _csv_arguments(files, o, where), o.get("columns"))


def _csv_arguments(files: list[str], o: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``read_csv`` named arguments from the checked options."""
    named: dict[str, Any] = {
        "header": _header(o.get("header")), "delim": o.get("delimiter", o.get("sep")), "quote": o.get("quote"),
        "escape": o.get("escape"), "skip": o.get("skip"), "nullstr": o.get("null_values", o.get("nullstr")),
        "all_varchar": o.get("all_varchar"), "ignore_errors": o.get("ignore_errors"),
        "encoding": o.get("encoding"), "dateformat": o.get("dateformat"),
        "timestampformat": o.get("timestampformat"), "strict_mode": o.get("strict_mode"),
        "union_by_name": True if len(files) > 1 else None,
        **{name: o.get(name) for name in DUCKDB_CSV},
    }
    dtype = o.get("dtype", o.get("types"))
    if isinstance(dtype, str):
        if _type(dtype) != "VARCHAR":
            raise ExecutionError(f"{where}: dtype '{dtype}' for every column is not supported; give a mapping "
                                 "{column: type}, or use dtype: str / all_varchar: true")
        named["all_varchar"] = True
    elif dtype:
        named["types"] = {str(k): _type(v) for k, v in dtype.items()}
    return named


def _check_not_empty(files: list[Any], fmt: str, where: str) -> None:
    """A 0-byte local file holds no data, not even a header: an error naming it."""
    for path in files:
        if isinstance(path, str) and "://" not in path and os.path.isfile(path) and os.path.getsize(path) == 0:
            raise ExecutionError(f"{where}: '{path}' is empty (0 bytes), so it is not a {fmt} file; an empty "
                                 f"dataset still needs {'a header line' if fmt == 'csv' else 'a footer'}: "
                                 "fix or remove the file")


def _check_complete_csv(path: Any, o: Mapping[str, Any], where: str) -> None:
    """A local csv whose last line has no newline and fewer fields than its header (or an open quote)
    was cut short: an error naming the file and the line."""
    if not isinstance(path, str) or "://" in path or path.endswith(".gz") or not os.path.isfile(path):
        return
    with open(path, "rb") as handle:
        first = handle.readline(_PEEK)
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - _PEEK))
        tail = handle.read()
    if tail.endswith((b"\n", b"\r")) or first == tail or b"\n" not in tail:
        return
    last = tail.rsplit(b"\n", 1)[1].decode("utf-8", "replace")
    quote = str(o.get("quote") or '"')
    delimiter = o.get("delimiter", o.get("sep")) or max(",;\t|", key=first.decode("utf-8", "replace").count)
    header = next(csv.reader([first.decode("utf-8", "replace")], delimiter=delimiter, quotechar=quote), [])
    fields = next(csv.reader([last], delimiter=delimiter, quotechar=quote), [])
    if last.count(quote) % 2 or len(fields) < len(header):
        raise ExecutionError(f"{where}: '{path}' ends mid-row (its last line, {last[:60]!r}, has "
                             f"{len(fields)} of {len(header)} fields and no line end): the file looks truncated; "
                             "copy it again, or end the line if the row is complete")


def _read_json(files: list[str], o: Mapping[str, Any], con: Any, where: str) -> Table:
    # a 0-byte json-lines file is zero records (what a 0-row write produces), so it is not refused here
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
    _check_not_empty(files, "parquet", where)
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


_PEEK = 1 << 16
_SCANNED = ("csv", "json", "parquet")
_READERS: dict[str, Callable[..., Table]] = {
    "csv": _read_csv, "json": _read_json, "parquet": _read_parquet, "excel": _read_excel, "delta": read_delta,
}
