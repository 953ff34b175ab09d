"""Write an Arrow table atomically and idempotently: files, Delta tables and SQL tables.

* files (csv, json lines, parquet, excel): see :mod:`.file_writer` and :mod:`odibi_provider.engines.atomic`; on object
  stores (s3, abfs, gs) :mod:`.remote_writer`;
* delta: one deltalake commit per write, see :mod:`.delta_writer`;
* sql: one transaction per write, see :mod:`.sql_writer`.

Re-running a write with the same ``write_id`` never duplicates appended rows; a skipped duplicate
returns ``WriteOutcome(skipped=True, rows_written=0)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import ExecutionError, OdibiError
from ...plan.model import WriteSpec
from ..base import WriteOutcome
from ..options import EMBEDDED
from ..writes import check_write, write_keys
from .lazy import LazyQuery

# a lazy frame is streamed by DuckDB COPY for these; anything else is materialized first
STREAMED_FORMATS = ("csv", "json", "parquet")
STREAMED_MODES = ("overwrite", "append")


def write_table(table: Any, spec: WriteSpec, connection: Any, *, write_id: str, con: Any) -> WriteOutcome:
    """Write ``table`` (a ``pyarrow.Table``) as ``spec`` says; ``con`` is a DuckDB connection or cursor."""
    where = f"connection '{spec.connection}', {spec.format} {_target(spec)}"
    options = EMBEDDED.check("write", spec.format, spec.options, where)
    keys = write_keys(spec, options)
    check_write(table.column_names, spec, keys, where)
    if isinstance(table, LazyQuery) and not (spec.format in STREAMED_FORMATS and spec.mode in STREAMED_MODES):
        table = table.materialize(con)
    if spec.format == "sql":
        from .sql_writer import write_sql

        if not spec.table or not hasattr(connection, "engine"):
            raise ExecutionError(f"{where}: format sql needs 'table' and a connection of type sql")
        return write_sql(table, spec.table, connection, spec.mode, keys, options, write_id=write_id, where=where)
    if not spec.path or not hasattr(connection, "resolve") or not hasattr(connection, "is_local"):
        raise ExecutionError(f"{where}: a {spec.format} write needs 'path' and a file connection "
                             "(local, s3, azure_blob, azure_adls or gcs)")
    location = connection.resolve(spec.path)
    try:
        if spec.format == "delta":
            from .delta_writer import write_delta

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


def _failure(exc: BaseException, connection: Any, what: str) -> ExecutionError:
    """``what`` plus the first line of ``exc`` (an object store's: its cause chain, secrets scrubbed)."""
    if not connection.is_local and hasattr(connection, "scrub"):
        from .remote import error_detail

        return ExecutionError(f"{what}: {error_detail(connection, exc)}")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ExecutionError(f"{what}: {first}")


def _target(spec: WriteSpec) -> str:
    return f"path '{spec.path}'" if spec.path else f"table '{spec.table}'"
