"""Read and write datasets on Spark: csv, json, parquet, delta, excel (read, via pandas) and sql (JDBC).

Reads are lazy Spark scans, analysed at once so a wrong path or option fails in the read step. Writes
dispatch to :mod:`.files` (local csv/json/parquet, atomic and idempotent), :mod:`.delta` and
:mod:`.jdbc`. A file path may name one file, a directory of part files (hive folders too) or a glob.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import ExecutionError, OdibiError
from ...plan.model import ReadSpec, WriteSpec
from ..base import WriteOutcome
from ..locks import holds_dataset_lock
from ..schema_drift import ROWLESS_SCHEMA_FORMATS, WIDEN_PREFIX, check, merged_columns
from ..sql.dialect import SPARK, require_type
from ..writes import check_write, write_keys
from .localfs import data_files_under, is_local, local_path
from .options import check_options, read_options, spark_options
from .session import first_line

_PEEK_BYTES = 1 << 20
ident = SPARK.ident


def read_frame(session: Any, spec: ReadSpec, connection: Any, from_pandas: Callable[[Any], Any]) -> Any:
    """Read ``spec`` through ``connection`` into a DataFrame."""
    where = f"connection '{spec.connection}', {spec.format} {_source(spec)}"
    options = check_options("read", spec.format, spec.options, where)
    if spec.format == "sql":
        from .jdbc import read_jdbc

        return read_jdbc(session, spec, connection, options, where)
    if spec.format == "api":
        from ..http_source import api_reader
        from .convert import from_arrow

        table = api_reader(spec, connection, options, where).read_all()
        return table if table.num_columns == 0 else from_arrow(session, table)  # no records: the runner stops
    if not spec.path or not hasattr(connection, "resolve"):
        raise ExecutionError(f"{where}: a {spec.format} read needs 'path' and a file connection "
                             f"(got {type(connection).__name__})")
    location = connection.resolve(spec.path)
    if spec.format == "excel":
        return from_pandas(_read_excel(location, options, where))
    return read_location(session, location, spec.format, options, where)


def read_location(session: Any, location: str, fmt: str, options: Mapping[str, Any], where: str) -> Any:
    """Read the data at an absolute ``location`` (also used by writers to merge with existing data)."""
    if is_local(location) and not any(c in location for c in "*?[") and not local_path(location).exists():
        raise ExecutionError(f"{where}: '{location}' does not exist; check the path and the connection's "
                             "base_path, or run the node that writes it first")
    try:
        frame = _READERS[fmt](session, location, options)
        frame.schema  # noqa: B018 - analyse now (Spark Connect is lazy) so errors belong to this read
        return frame
    except OdibiError as exc:
        raise ExecutionError(f"{where}: {exc}") from exc
    except Exception as exc:
        from .delta import delta_error

        error = delta_error(exc) if fmt == "delta" else exc
        if isinstance(error, OdibiError):
            raise ExecutionError(f"{where}: {error}") from exc
        raise ExecutionError(f"{where}: cannot read '{location}': {first_line(exc)}") from exc


def read_rejects(session: Any, spec: ReadSpec, connection: Any) -> Any:
    """The csv rows ``ignore_errors: true`` (DROPMALFORMED) drops from ``spec``, or None: the same read in
    PERMISSIVE mode with a corrupt-record column, keeping the rows where it is set (file, raw line)."""
    if spec.format != "csv" or not spec.options.get("ignore_errors") or not spec.path:
        return None
    where = f"connection '{spec.connection}', csv {_source(spec)}"
    options = check_options("read", "csv", spec.options, where)
    location = connection.resolve(spec.path)
    typed = options.get("columns") if isinstance(options.get("columns"), Mapping) else None  # a schema
    kept = read_location(session, location, "csv", {**options, "columns": typed, "dtype": None, "types": None},
                         where)
    permissive = {**read_options("csv", options), "mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT}
    schema = ", ".join([*(f"{ident(f.name)} {f.dataType.simpleString()}" for f in kept.schema.fields),
                        f"{_CORRUPT} STRING"])
    frame = session.read.options(**permissive).schema(schema).csv(location)
    error: Exception | None = None
    # the file of each row where the session knows it (Spark Connect servers such as Sail may not), else
    # the location read; Spark refuses a query of the corrupt-record column alone until rows are cached
    for file_expr in ("input_file_name()", SPARK.literal(location)):
        try:
            rows = frame.selectExpr("*", f"{file_expr} AS _odibi_file").cache()
            rejected = rows.where(f"{_CORRUPT} IS NOT NULL").selectExpr(
                "_odibi_file", "CAST(NULL AS BIGINT) AS _odibi_line",
                "'malformed csv row (dropped by ignore_errors)' AS _odibi_failed_tests",
                f"{_CORRUPT} AS _odibi_raw_line")
            rejected.count()  # run now (the rows stay cached) so errors belong to this read
            return rejected
        except Exception as exc:  # noqa: BLE001 - tried again with the location, then by counting lines
            error = exc
    counted = _rejects_by_lines(session, location, kept, options)
    if counted is not None:
        return counted
    reason = first_line(error) if error is not None else "no way to count them"
    raise ExecutionError(f"{where}: cannot count the rows ignore_errors drops: {reason}; "
                         "remove ignore_errors (malformed rows then fail the read) or run on the embedded engine"
                         ) from error


_CORRUPT = "_odibi_corrupt_record"


def _rejects_by_lines(session: Any, location: str, kept: Any, options: Mapping[str, Any]) -> Any:
    """For Spark servers without a corrupt-record column (Sail): the dropped rows as non-blank lines minus
    header lines minus rows kept, one row each naming the location (their text is not available), or None
    when lines are not rows (``multiLine``) or the files cannot be counted."""
    if str(options.get("multiLine", "")).lower() == "true" or not is_local(location):
        return None
    path = local_path(location)
    files = data_files_under(path) if path.is_dir() else [Path(p) for p in glob.glob(str(path))]
    if not files:
        return None
    headers = len(files) if read_options("csv", options).get("header") == "true" else 0
    lines = session.read.text([str(f) for f in files]).where("trim(value) <> ''").count()
    dropped = max(lines - headers - kept.count(), 0)
    reason = "malformed csv row (dropped by ignore_errors; this Spark server does not give its text)"
    return session.range(dropped).selectExpr(f"{SPARK.literal(location)} AS _odibi_file",
                                             "CAST(NULL AS BIGINT) AS _odibi_line",
                                             f"{SPARK.literal(reason)} AS _odibi_failed_tests",
                                             "CAST(NULL AS STRING) AS _odibi_raw_line")


def _read_csv(session: Any, location: str, o: Mapping[str, Any]) -> Any:
    reader = session.read.options(**read_options("csv", o))
    columns = o.get("columns")
    if isinstance(columns, Mapping):
        reader = reader.schema(", ".join(f"{ident(k)} {_type(v)}" for k, v in columns.items()))
        columns = None
    frame = reader.csv(location)
    dtype = o.get("dtype", o.get("types"))
    if isinstance(dtype, Mapping) and dtype:
        frame = _cast(frame, dtype)
    return frame.select(*columns) if columns else frame


def _read_json(session: Any, location: str, o: Mapping[str, Any]) -> Any:
    options = read_options("json", o)
    first = _first_file(location)
    lines = o.get("lines")
    if lines is False or (lines is None and "multiLine" not in o and first is not None and _is_array(first)):
        options["multiLine"] = "true"
    columns = o.get("columns")
    reader = session.read.options(**options)
    if isinstance(columns, Mapping):
        reader = reader.schema(", ".join(f"{ident(k)} {_type(v)}" for k, v in columns.items()))
        columns = None
    frame = reader.json(location)
    if columns:
        return frame.select(*columns)
    order = _first_keys(first, options.get("multiLine") == "true") if first is not None else []
    if order and set(order) <= set(frame.columns) and order != frame.columns[:len(order)]:
        frame = frame.select(*order, *(c for c in frame.columns if c not in order))  # the file's key order
    return frame


def _read_parquet(session: Any, location: str, o: Mapping[str, Any]) -> Any:
    options = spark_options(o)
    if o.get("union_by_name"):
        options["mergeSchema"] = "true"
    frame = session.read.options(**options).parquet(location)
    return frame.select(*o["columns"]) if o.get("columns") else frame


def _read_delta(session: Any, location: str, o: Mapping[str, Any]) -> Any:
    from .delta import DeltaLog, read_delta

    if is_local(location) and not DeltaLog(location).exists():
        raise ExecutionError(f"no delta table at '{location}' (no _delta_log); check the path, or run the node "
                             "that writes it first")
    return read_delta(session, location, o)


def _read_excel(location: str, o: Mapping[str, Any], where: str) -> Any:
    from ...extras import require

    pd = require("pandas", purpose="reading excel")
    require("openpyxl", purpose="reading excel")
    header = o.get("header", 0)
    kwargs = {"sheet_name": o.get("sheet_name", 0), "header": 0 if header is True else (None if header is False
              else header), "skiprows": o.get("skip"), "dtype": o.get("dtype"), "usecols": o.get("columns")}
    paths = sorted(glob.glob(location)) if any(c in location for c in "*?[") else [location]
    frames = [pd.read_excel(p, engine="openpyxl", **{k: v for k, v in kwargs.items() if v is not None})
              for p in paths]
    if any(isinstance(f, dict) for f in frames):
        raise ExecutionError(f"{where}: sheet_name must name one sheet, not a list")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _cast(frame: Any, types: Mapping[str, Any]) -> Any:
    wanted = {str(k).lower(): _type(v) for k, v in types.items()}
    return frame.selectExpr(*(f"CAST({ident(c)} AS {wanted[c.lower()]}) AS {ident(c)}" if c.lower() in wanted
                              else ident(c) for c in frame.columns))


def _type(name: Any) -> str:
    return require_type(SPARK, name)


def _first_file(location: str) -> Path | None:
    """The first local data file at ``location`` (a file, a directory or a glob), if local."""
    if not is_local(location):
        return None
    path = local_path(location)
    if any(c in location for c in "*?["):
        files = sorted(Path(p) for p in glob.glob(location) if Path(p).is_file())
    else:
        files = [path] if path.is_file() else (data_files_under(path) if path.is_dir() else [])
    return files[0] if files else None


def _is_array(path: Path) -> bool:
    """True when the JSON file holds one array of records (not JSON lines)."""
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith(b"[")


def _first_keys(path: Path, array: bool) -> list[str]:
    """The keys of the file's first record, in order (Spark sorts inferred JSON columns by name)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(_PEEK_BYTES).lstrip()
        if array:
            text = text[1:].lstrip()
        record, _ = json.JSONDecoder().raw_decode(text)
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    return [str(k) for k in record] if isinstance(record, dict) else []


_READERS: dict[str, Callable[[Any, str, Mapping[str, Any]], Any]] = {
    "csv": _read_csv, "json": _read_json, "parquet": _read_parquet, "delta": _read_delta,
}


@holds_dataset_lock  # a local file dataset is locked over the schema check and the write
def write_frame(frame: Any, spec: WriteSpec, connection: Any, *, write_id: str) -> WriteOutcome:
    """Write ``frame`` as ``spec`` says: atomically, and a retried ``write_id`` never duplicates rows."""
    where = f"connection '{spec.connection}', {spec.format} {_target(spec)}"
    options = check_options("write", spec.format, spec.options, where)
    keys = write_keys(spec, options)
    check_write(frame.columns, spec, keys, where)
    frame = storable(frame)
    if spec.mode in ("merge", "scd2"):
        from .operation import write_operation

        return write_operation(frame, spec, connection, options, write_id=write_id, where=where)
    if spec.format == "sql":
        from .jdbc import write_jdbc

        if not spec.table or not hasattr(connection, "url"):
            raise ExecutionError(f"{where}: format sql needs 'table' and a connection of type sql")
        return write_jdbc(frame, spec.table, connection, spec.mode, keys, options, write_id=write_id, where=where,
                          merge_schema=spec.merge_schema)
    if not spec.path or not hasattr(connection, "resolve"):
        raise ExecutionError(f"{where}: a {spec.format} write needs 'path' and a file connection")
    location = connection.resolve(spec.path)
    try:
        frame = _checked_columns(frame, spec, location, options, where, write_id, connection)
        if spec.format == "delta":
            from .delta import write_delta

            if spec.merge_schema and spec.mode == "append":
                options = {**options, "schema_mode": "merge"}
            fs = None if is_local(location) else connection.filesystem()
            return write_delta(frame, location, spec.mode, keys, options, spec.partition_by, write_id=write_id,
                               fs=fs)
        from .files import write_files

        return write_files(frame, location, spec.format, spec.mode, keys, options, spec.partition_by,
                           write_id=write_id, where=where)
    except OdibiError:
        raise
    except Exception as exc:
        raise ExecutionError(f"{where}: cannot write '{location}' ({spec.mode}): {first_line(exc)}") from exc


def _checked_columns(frame: Any, spec: WriteSpec, location: str, options: Mapping[str, Any], where: str,
                     write_id: str, connection: Any) -> Any:
    """``frame`` ready to join the existing dataset (append, upsert, append_once): drift refused per
    :mod:`..schema_drift`, columns in the dataset's order, missing ones as NULL under ``merge_schema``.
    A file append that adds columns first rewrites the existing rows with the new (NULL) columns."""
    if spec.mode == "overwrite" or spec.format not in ("csv", "json", "parquet", "delta"):
        return frame
    existing_frame = _existing(frame.sparkSession, spec.format, location, options, where, connection)
    if existing_frame is None:
        return frame
    existing, data = _schema(existing_frame), _schema(frame)
    drift = check(existing, data, merge_schema=spec.merge_schema, where=where, target=location, mode=spec.mode,
                  ignore_types=spec.partition_by)
    if drift.new and spec.mode == "append" and spec.format != "delta":
        from .files import write_files

        widened = _project(existing_frame, [(c, None) for c, _ in existing] + [(c, t) for c, t in drift.new])
        write_files(widened, location, spec.format, "overwrite", (), options, spec.partition_by,
                    write_id=f"{WIDEN_PREFIX}{write_id}", where=where)
    return _project(frame, merged_columns(existing, data))


def _existing(session: Any, fmt: str, location: str, options: Mapping[str, Any], where: str,
              connection: Any) -> Any:
    """The dataset at ``location`` as the writer encoded it, or None when it has no data yet."""
    if fmt == "delta":
        from .delta import DeltaLog

        if not DeltaLog(location, None if is_local(location) else connection.filesystem()).exists():
            return None
        return read_location(session, location, fmt, {}, where)
    from .files import read_existing

    target = local_path(location) if is_local(location) else None
    if target is None or not (target.is_file() or (target.is_dir() and data_files_under(target))):
        return None
    existing = read_existing(session, target, fmt, options, where)
    if fmt in ROWLESS_SCHEMA_FORMATS and not existing.take(1):
        return None  # an empty csv (a header read as text) or json (no line) has no schema to drift from
    return existing


def _schema(frame: Any) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]


def _project(frame: Any, columns: Sequence[tuple[str, str | None]]) -> Any:
    """``frame`` with ``columns`` in order: ``(name, None)`` kept, ``(name, type)`` a NULL of that type."""
    if all(t is None for _, t in columns) and [c for c, _ in columns] == list(frame.columns):
        return frame
    return frame.selectExpr(*(ident(c) if t is None else f"CAST(NULL AS {t}) AS {ident(c)}" for c, t in columns))


def storable(frame: Any) -> Any:
    """``frame`` with null-typed (void) columns cast to string: files and Delta cannot store them."""
    void = [f.name for f in frame.schema.fields if f.dataType.simpleString() in ("void", "null")]
    if not void:
        return frame
    return frame.selectExpr(*(f"CAST({ident(c)} AS STRING) AS {ident(c)}" if c in void else ident(c)
                              for c in frame.columns))


def _source(spec: ReadSpec) -> str:
    if spec.path:
        return f"path '{spec.path}'"
    return f"table '{spec.table}'" if spec.table else "query"


def _target(spec: WriteSpec) -> str:
    return f"path '{spec.path}'" if spec.path else f"table '{spec.table}'"
