"""``write.mode`` scd2 / merge on the embedded engine. Files: the existing target is read inside the write's
atomic section, the new version is computed by DuckDB with :mod:`..sql.scd` and replaces the target the way
an overwrite does (lock + stage + swap); Delta: one MERGE commit; SQL: the database applies the rows in the
write's one transaction (:mod:`.sql_merge`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...plan.model import WriteSpec
from ..atomic import exclusive
from ..base import WriteOutcome
from ..sql.dialect import DUCKDB
from ..sql.scd import Clauses, merge_clauses, operation_params, scd2_merge_predicate, scd2_sql, version_sql
from ..writes import safe_id, written_by
from .lazy import unique_name


def new_version(con: Any, mode: str, params: Mapping[str, Any], source: Any, existing: Any,
                where: str) -> Any:
    """The target's new rows (an Arrow table) after applying ``source`` to ``existing`` (None: first load)."""
    src, tgt = unique_name(), unique_name()
    first = existing is None or (existing.num_rows == 0 and not existing.column_names)
    con.register(src, source)
    try:
        if not first:
            con.register(tgt, existing)
        sql = version_sql(DUCKDB, mode, params, source=src, source_cols=list(source.column_names),
                          target=None if first else tgt, target_cols=[] if first else existing.column_names,
                          where=where)
        return con.sql(sql).to_arrow_table()
    finally:
        con.unregister(src)
        if not first:
            con.unregister(tgt)


def merge_source(con: Any, mode: str, params: Mapping[str, Any], source: Any, existing: Any,
                 where: str) -> tuple[Any, Clauses]:
    """What a MERGE into ``existing`` applies: merge: ``source`` with Odibi's clauses; scd2: the closed versions
    and the new current rows (computed here), matched by :func:`..sql.scd.scd2_merge_predicate`."""
    cols, target_cols = list(source.column_names), list(existing.column_names)
    if mode == "merge":
        return source, merge_clauses(DUCKDB, params, source_cols=cols, target_cols=target_cols, where=where)
    src, tgt = unique_name(), unique_name()
    con.register(src, source)
    con.register(tgt, existing)
    try:
        changes = con.sql(scd2_sql(DUCKDB, params, source=src, source_cols=cols, target=tgt,
                                   target_cols=target_cols, where=where, changes_only=True)).to_arrow_table()
    finally:
        con.unregister(src)
        con.unregister(tgt)
    values = {c: f"source.{DUCKDB.ident(c)}" for c in target_cols}
    return changes, Clauses(scd2_merge_predicate(DUCKDB, params), None, "TRUE", "TRUE", values, values)


def write_operation(table: Any, spec: WriteSpec, connection: Any, options: Mapping[str, Any], *, write_id: str,
                    con: Any, where: str) -> WriteOutcome:
    """Apply ``spec.operation`` (scd2 or merge) to the target of ``spec`` atomically (``con``: a DuckDB
    connection, unused for SQL targets)."""
    from ...errors import ExecutionError

    params = operation_params(spec.mode, spec.operation, spec.keys, where)
    if spec.format == "sql":
        from .sql_writer import write_sql

        return write_sql(table, str(spec.table), connection, spec.mode, spec.keys, options, write_id=write_id,
                         where=where, operation=params)
    if not connection.is_local and spec.format != "delta":
        raise ExecutionError(f"{where}: mode '{spec.mode}' on an object store needs format delta "
                             "(one commit); write delta or use a local connection")
    location = connection.resolve(str(spec.path))
    if spec.format == "delta":
        from .delta_writer import existing_delta, last_write_id, merge_delta, write_delta

        storage = connection.storage_options()
        if last_write_id(location, storage) == write_id:  # this write already committed: a retry adds nothing
            return WriteOutcome(0, location, spec.mode, skipped=True, details={"format": "delta", "write_id": write_id})
        existing = existing_delta(location, storage, rows=spec.mode == "scd2")  # merge needs only the columns
        if existing is None:
            new = new_version(con, spec.mode, params, table, None, where)
            outcome = write_delta(new, location, "overwrite", (), options, spec.partition_by, write_id=write_id,
                                  storage_options=storage)
        else:
            source, clauses = merge_source(con, spec.mode, params, table, existing, where)
            outcome = merge_delta(source, location, clauses, mode=spec.mode, write_id=write_id,
                                  storage_options=storage)
    else:
        from .file_writer import read_options_for, replace_with_parts
        from .files import dataset_exists
        from .readers import read_location

        with exclusive(Path(location), write_id=write_id):
            if written_by(Path(location), write_id):  # this write already replaced the dataset
                return WriteOutcome(0, location, spec.mode, skipped=True,
                                    details={"format": spec.format, "write_id": write_id})
            old = (read_location(location, spec.format, read_options_for(spec.format, options), con, where)
                   if dataset_exists(location) else None)
            new = new_version(con, spec.mode, params, table, old, where)
            # always a folder of parts named by the write id, so a retry of this write is recognised
            rows = replace_with_parts(new, Path(location), spec.format, options, spec.partition_by, safe_id(write_id),
                                      con)
        outcome = WriteOutcome(rows, location, spec.mode, details={"format": spec.format, "write_id": write_id})
    return WriteOutcome(outcome.rows_written, outcome.location, spec.mode, frame_rows=table.num_rows,
                        details={**outcome.details, "operation": spec.mode})

