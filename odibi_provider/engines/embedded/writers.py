"""Write an Arrow table atomically and idempotently: files, Delta tables and SQL tables.

* files (csv, json lines, parquet, excel): see :mod:`.file_writer` and :mod:`odibi_provider.engines.atomic`; on object
  stores (s3, abfs, gs) :mod:`.remote_writer`;
* delta: one deltalake commit per write, see :mod:`.delta_writer`;
* sql: one transaction per write, see :mod:`.sql_writer`.

Re-running a write with the same ``write_id`` never duplicates appended rows; a skipped duplicate
returns ``WriteOutcome(skipped=True, rows_written=0)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import ExecutionError, OdibiError
from ...plan.model import WriteSpec
from ..base import WriteOutcome
from ..locks import holds_dataset_lock
from ..options import EMBEDDED
from ..schema_drift import ROWLESS_SCHEMA_FORMATS, WIDEN_PREFIX, check, merged_columns
from ..sql.dialect import DUCKDB
from ..writes import check_write, write_keys
from .files import dataset_exists, input_files
from .lazy import LazyQuery, unique_name
from .readers import read_files

# a lazy frame is streamed by DuckDB COPY for these; anything else is materialized first
STREAMED_FORMATS = ("csv", "json", "parquet")
STREAMED_MODES = ("overwrite", "append")
# formats whose existing columns a write that keeps rows is checked against (sql: in sql_writer)
DRIFT_FORMATS = ("csv", "json", "parquet", "delta")


@holds_dataset_lock  # a local file dataset is locked over the schema check and the write
def write_table(table: Any, spec: WriteSpec, connection: Any, *, write_id: str, con: Any) -> WriteOutcome:
    """Write ``table`` (a ``pyarrow.Table``) as ``spec`` says; ``con`` is a DuckDB connection or cursor."""
    where = f"connection '{spec.connection}', {spec.format} {_target(spec)}"
    options = EMBEDDED.check("write", spec.format, spec.options, where)
    keys = write_keys(spec, options)
    check_write(table.column_names, spec, keys, where)
    table = _ready(table, spec, con)
    if spec.mode in ("merge", "scd2"):
        from .operation import write_operation

        return write_operation(table, spec, connection, options, write_id=write_id, con=con, where=where)
    if spec.format == "sql":
        from .sql_writer import write_sql

        if not spec.table or not hasattr(connection, "engine"):
            raise ExecutionError(f"{where}: format sql needs 'table' and a connection of type sql")
        return write_sql(table, spec.table, connection, spec.mode, keys, options, write_id=write_id, where=where,
                         merge_schema=spec.merge_schema)
    if not spec.path or not hasattr(connection, "resolve") or not hasattr(connection, "is_local"):
        raise ExecutionError(f"{where}: a {spec.format} write needs 'path' and a file connection "
                             "(local, s3, azure_blob, azure_adls or gcs)")
    location = connection.resolve(spec.path)
    try:
        table = _ready(_checked_columns(table, spec, connection, location, options, con, where, write_id), spec, con)
        if spec.format == "delta":
            from .delta_writer import write_delta

            if spec.merge_schema and spec.mode == "append":
                options = {**options, "schema_mode": "merge"}
            return write_delta(table, location, spec.mode, keys, options, spec.partition_by, write_id=write_id,
                               storage_options=connection.storage_options())
        if not connection.is_local:
            from .remote_writer import write_remote_files

            return write_remote_files(table, connection, location, spec.format, spec.mode, keys, options,
                                      spec.partition_by, write_id=write_id, con=con, where=where)
        from .file_writer import write_files

        return write_files(table, Path(location), spec.format, spec.mode, keys, options, spec.partition_by,
                           write_id=write_id, con=con, where=where)
    except OdibiError:
        raise
    except Exception as exc:  # noqa: BLE001 (reported with context)
        raise _failure(exc, connection, f"{where}: cannot write '{location}' ({spec.mode})") from (
            exc if connection.is_local else None)


def _ready(table: Any, spec: WriteSpec, con: Any) -> Any:
    """A lazy frame stays lazy where DuckDB COPY streams it; anything else is materialized."""
    if isinstance(table, LazyQuery) and not (spec.format in STREAMED_FORMATS and spec.mode in STREAMED_MODES):
        return table.materialize(con)
    return table


def _checked_columns(table: Any, spec: WriteSpec, connection: Any, location: str, options: Mapping[str, Any],
                     con: Any, where: str, write_id: str) -> Any:
    """``table`` ready to join the existing dataset (append, upsert, append_once): drift refused per
    :mod:`..schema_drift`, columns in the dataset's order, missing ones as NULL under ``merge_schema``.
    A file append that adds columns first rewrites the existing rows with the new (NULL) columns."""
    if spec.mode == "overwrite" or spec.format not in DRIFT_FORMATS:
        return table
    existing = _existing_schema(spec.format, connection, location, options, con, where)
    if existing is None:
        return table
    data = _schema(table, con)
    drift = check(existing, data, merge_schema=spec.merge_schema, where=where, target=location, mode=spec.mode,
                  ignore_types=spec.partition_by)
    if drift.new and spec.mode == "append" and spec.format != "delta":
        widened = [(c, None) for c, _ in existing] + [(c, t) for c, t in drift.new]
        scan = _scan_sql(spec.format, connection, location, options, con, where)
        old_rows = LazyQuery(scan, tuple(c for c, _ in existing), tuple(t for _, t in existing))
        write_table(_project(old_rows, widened, con), dataclasses.replace(spec, mode="overwrite"), connection,
                    write_id=f"{WIDEN_PREFIX}{write_id}", con=con)
    return _project(table, merged_columns(existing, data), con)


def _scan_sql(fmt: str, connection: Any, location: str, options: Mapping[str, Any], con: Any, where: str) -> str:
    """The DuckDB query scanning the file dataset at ``location`` as the writer encoded it."""
    from .file_writer import read_options_for

    read_options = read_options_for(fmt, options)
    if not connection.is_local:
        from .remote import scan_remote

        return scan_remote(connection, location, fmt, read_options, con, where)
    return str(read_files(input_files(location, fmt, where), fmt, read_options, None, where))


def _existing_schema(fmt: str, connection: Any, location: str, options: Mapping[str, Any], con: Any,
                     where: str) -> list[tuple[str, str]] | None:
    """``[(column, DuckDB type)]`` of the dataset at ``location``, or None when it has no data yet."""
    if fmt == "delta":
        from ...extras import require

        deltalake = require("deltalake", purpose="writing delta tables")
        storage = dict(connection.storage_options()) or None
        if not deltalake.DeltaTable.is_deltatable(location, storage_options=storage):
            return None
        pa = require("pyarrow")
        arrow = pa.schema(deltalake.DeltaTable(location, storage_options=storage).schema().to_arrow())
        return _schema(arrow.empty_table(), con)
    if connection.is_local:
        if not dataset_exists(location):
            return None
    else:
        from .remote import dataset_exists as remote_exists

        if not remote_exists(connection, location, fmt):
            return None
    scan = _scan_sql(fmt, connection, location, options, con, where)
    rel = con.sql(scan)
    if fmt in ROWLESS_SCHEMA_FORMATS and not con.execute(f"SELECT 1 FROM ({scan}) LIMIT 1").fetchall():
        return None  # an empty csv (a header read as text) or json (no line) has no schema to drift from
    return [(c, str(t)) for c, t in zip(rel.columns, rel.types, strict=True)]


def _schema(table: Any, con: Any) -> list[tuple[str, str]]:
    if isinstance(table, LazyQuery):
        return list(zip(table.columns, table.types, strict=True))
    rel = con.from_arrow(table)
    return [(c, str(t)) for c, t in zip(rel.columns, rel.types, strict=True)]


def _project(table: Any, columns: Sequence[tuple[str, str | None]], con: Any) -> Any:
    """``table`` with ``columns`` in order: ``(name, None)`` kept, ``(name, type)`` a NULL of that type."""
    names = [c for c, _ in columns]
    if all(t is None for _, t in columns) and names == list(table.column_names):
        return table
    select = ", ".join(DUCKDB.ident(c) if t is None else f"CAST(NULL AS {t}) AS {DUCKDB.ident(c)}" for c, t in columns)
    if not isinstance(table, LazyQuery):
        if all(t is None for _, t in columns):
            return table.select(names)
        table = LazyQuery("SELECT * FROM " + (name := unique_name()), tuple(table.column_names), (), {name: table})
    sql = f"SELECT {select} FROM ({table.sql}) AS {unique_name()}"
    table.register(con)
    rel = con.sql(sql)
    return LazyQuery(sql, tuple(rel.columns), tuple(str(t) for t in rel.types), dict(table.tables))


def _failure(exc: BaseException, connection: Any, what: str) -> ExecutionError:
    """``what`` plus the first line of ``exc`` (an object store's: its cause chain, secrets scrubbed)."""
    if not connection.is_local and hasattr(connection, "scrub"):
        from .remote import error_detail

        return ExecutionError(f"{what}: {error_detail(connection, exc)}")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ExecutionError(f"{what}: {first}")


def _target(spec: WriteSpec) -> str:
    return f"path '{spec.path}'" if spec.path else f"table '{spec.table}'"
