"""``write.mode`` scd2 / merge on Spark, with the SQL of :mod:`..sql.scd` in the Spark dialect: Delta is one
``MERGE INTO`` commit; local files read the existing rows and swap in the new version under the dataset's
lock (as the embedded engine does); SQL tables: the database applies the rows in one transaction, as on
the embedded engine."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from ...errors import ExecutionError
from ...plan.frozen import FrozenMap
from ...plan.model import WriteSpec
from ..atomic import exclusive
from ..base import WriteOutcome
from ..sql import scd
from ..sql.dialect import SPARK
from ..sql.scd import Clauses
from ..writes import written_by
from .localfs import is_local, local_path
from .relations import run_command, run_sql

SOURCE, TARGET = "odibi_op_source", "odibi_op_target"


def new_version(mode: str, params: Mapping[str, Any], frame: Any, existing: Any | None, where: str) -> Any:
    """The target's new rows (a DataFrame) after applying ``frame`` to ``existing`` (None: first load)."""
    relations = {SOURCE: frame, **({TARGET: existing} if existing is not None else {})}
    query = scd.version_sql(SPARK, mode, params, source=SOURCE, source_cols=list(frame.columns),
                            target=None if existing is None else TARGET,
                            target_cols=[] if existing is None else list(existing.columns), where=where)
    return run_sql(frame.sparkSession, query, relations, what=f"{where}: {mode}")


def write_operation(frame: Any, spec: WriteSpec, connection: Any, options: Mapping[str, Any], *, write_id: str,
                    where: str) -> WriteOutcome:
    """Apply ``spec.operation`` (scd2 or merge) to the target of ``spec``."""
    if spec.format == "sql":
        return _sql(frame, spec, connection, options, write_id, where)
    spec = dataclasses.replace(spec, operation=FrozenMap(scd.operation_params(spec.mode, spec.operation, spec.keys,
                                                                          where)))
    location = connection.resolve(str(spec.path))
    if spec.format == "delta":
        return _delta(frame, spec, location, options, write_id, where, connection)
    if not is_local(location):
        raise ExecutionError(f"{where}: mode '{spec.mode}' on an object store needs format delta (one commit)")
    from .files import read_existing, write_files

    target = local_path(location)
    with exclusive(target, write_id=write_id):
        if written_by(target, write_id):
            return WriteOutcome(0, location, spec.mode, skipped=True, details={"format": spec.format,
                                                                              "write_id": write_id})
        old = read_existing(frame.sparkSession, target, spec.format, options, where) if target.exists() else None
        new = new_version(spec.mode, spec.operation, frame, old, where)
        outcome = write_files(new, location, spec.format, "overwrite", (), options, spec.partition_by,
                              write_id=write_id, where=where)
    return WriteOutcome(outcome.rows_written, location, spec.mode, details={**outcome.details,
                                                                           "operation": spec.mode})


def _sql(frame: Any, spec: WriteSpec, connection: Any, options: Mapping[str, Any], write_id: str,
         where: str) -> WriteOutcome:
    """A SQL table: the rows come to the driver and the embedded writer has the database apply them in one
    transaction (:mod:`..embedded.sql_merge`), with the ``_odibi_writes`` bookkeeping both engines share."""
    from ..embedded.operation import write_operation as write_embedded
    from .convert import to_arrow

    if not spec.table or not hasattr(connection, "engine"):
        raise ExecutionError(f"{where}: format sql needs 'table' and a connection of type sql")
    return write_embedded(to_arrow(frame), spec, connection, options, write_id=write_id, con=None, where=where)


def _delta(frame: Any, spec: WriteSpec, location: str, options: Mapping[str, Any], write_id: str, where: str,
           connection: Any) -> WriteOutcome:
    from .delta import DeltaLog, read_delta, write_delta

    log = DeltaLog(location, None if is_local(location) else connection.filesystem())
    details = {"format": "delta", "write_id": write_id, "operation": spec.mode}
    if not log.exists():
        new = new_version(spec.mode, spec.operation, frame, None, where)
        outcome = write_delta(new, location, "overwrite", (), options, spec.partition_by, write_id=write_id)
        return WriteOutcome(outcome.rows_written, location, spec.mode, details={**outcome.details, **details})
    last = log.versions()[-1]
    metadata = log.commit_info(last).get("userMetadata")
    if isinstance(metadata, str) and json.loads(metadata or "{}").get("odibi.write_id") == write_id:
        return WriteOutcome(0, location, spec.mode, skipped=True, details=details)
    existing = read_delta(frame.sparkSession, location, {})
    source, clauses = _merge_source(spec.mode, spec.operation, frame, existing, where)
    session = frame.sparkSession
    key = "spark.databricks.delta.commitInfo.userMetadata"
    session.conf.set(key, json.dumps({"odibi.write_id": write_id, "odibi.mode": spec.mode}))
    try:
        run_command(session, merge_statement(location, list(existing.columns), clauses), {SOURCE: source},
                    what=f"{where}: {spec.mode} (MERGE INTO)")
    finally:
        session.conf.unset(key)
    return WriteOutcome(0 if log.versions()[-1] == last else _changed(log), location, spec.mode, details=details)


def _merge_source(mode: str, params: Mapping[str, Any], frame: Any, existing: Any, where: str) -> tuple[Any, Clauses]:
    cols, target_cols = list(frame.columns), list(existing.columns)
    if mode == "merge":
        return frame, scd.merge_clauses(SPARK, params, source_cols=cols, target_cols=target_cols, where=where)
    query = scd.scd2_sql(SPARK, params, source=SOURCE, source_cols=cols, target=TARGET, target_cols=target_cols,
                     where=where, changes_only=True)
    changes = run_sql(frame.sparkSession, query, {SOURCE: frame, TARGET: existing}, what=f"{where}: scd2")
    values = {c: f"source.{SPARK.ident(c)}" for c in target_cols}
    return changes, Clauses(scd.scd2_merge_predicate(SPARK, params), None, "TRUE", "TRUE", values, values)


def merge_statement(location: str, columns: list[str], clauses: Clauses) -> str:
    """``MERGE INTO`` the Delta table at ``location`` from the relation ``SOURCE`` with ``clauses``."""
    target = "delta.`" + location.replace("`", "``") + "`"
    parts = [f"MERGE INTO {target} AS target USING {SOURCE} AS source ON {clauses.predicate}"]
    if clauses.delete is not None:
        parts.append(f"WHEN MATCHED AND {clauses.delete} THEN DELETE")
    if clauses.update is not None:
        sets = ", ".join(f"{SPARK.ident(c)} = {clauses.set_values[c]}" for c in columns)
        parts.append(f"WHEN MATCHED AND {clauses.update} THEN UPDATE SET {sets}")
    if clauses.insert is not None:
        names = ", ".join(SPARK.ident(c) for c in columns)
        values = ", ".join(clauses.insert_values[c] for c in columns)
        parts.append(f"WHEN NOT MATCHED AND {clauses.insert} THEN INSERT ({names}) VALUES ({values})")
    return " ".join(parts)


def _changed(log: Any) -> int:
    metrics = log.commit_info(log.versions()[-1]).get("operationMetrics", {})
    return sum(int(metrics.get(k, 0) or 0) for k in ("numTargetRowsInserted", "numTargetRowsUpdated",
                                                       "numTargetRowsDeleted"))
