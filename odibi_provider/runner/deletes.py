"""Run Odibi's ``detect_deletes`` step: supply the keys to compare (the previous version of the node's Delta
target, or a source table's keys through a connection), enforce ``max_delete_percent``, apply the SQL from
``engines/sql/deletes.py``.

``snapshot_diff`` compares this run's keys with the target as it stands before this run writes (the run before
this one's output); with no target yet it is a first run (``on_first_run``). A soft delete keeps the deleted
rows, taken from that previous version, with ``soft_delete_col`` true, so the written target still holds them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..engines.base import Engine
from ..engines.sql import deletes as sql
from ..errors import ExecutionError, OdibiError
from ..plan.model import PlanNode, ReadSpec
from .context import RunContext
from .patterns import target_exists

log = logging.getLogger(__name__)


def detect_deletes(ctx: RunContext, node: PlanNode, engine: Engine, frame: Any, _relations: Mapping[str, Any],
                   params: dict[str, Any]) -> tuple[Any, str | None]:
    """The step's result and the SQL it applied (None when nothing was compared)."""
    try:
        cfg = sql.settings("detect_deletes", params)
    except OdibiError as exc:  # a params error names the param
        raise ExecutionError(str(exc), node=node.id, retryable=False) from exc
    soft, keys, d = cfg["soft_delete_col"], list(cfg.get("keys") or []), engine.dialect
    columns = [name for name, _ in engine.schema(frame)]
    if missing := [k for k in keys if k not in columns]:
        raise ExecutionError(f"detect_deletes: key column(s) {', '.join(missing)} not in the data (columns: "
                             f"{', '.join(columns)}); fix params.keys", node=node.id, retryable=False)
    if cfg["mode"] == "none":
        return frame, None
    if cfg["mode"] == "snapshot_diff":
        previous = _previous(ctx, node, engine, cfg)
        if previous is None:
            if cfg["on_first_run"] == "error":
                raise ExecutionError("detect_deletes: No previous version exists for snapshot_diff (first run); "
                                     "set on_first_run: skip to skip the first run", node=node.id,
                                     retryable=False)
            log.info("detect_deletes: first run of %s (no previous version); skipping", node.id)
            return _no_deletes(engine, frame, soft)
        scope = {"df": frame, sql.PREVIOUS: previous, sql.CURRENT: frame}
    else:
        source = ReadSpec(connection=cfg["source_connection"], format="sql", table=cfg.get("source_table"),
                          query=cfg.get("source_query"))
        current = engine.materialize(engine.read(source, ctx.connection(source.connection)))
        scope = {"df": frame, sql.PREVIOUS: frame, sql.CURRENT: current}
    deleted = engine.materialize(engine.sql(sql.deleted_keys_sql(d, keys), scope))
    count, total = engine.count(deleted), engine.count(frame)
    if count == 0:
        return _no_deletes(engine, frame, soft)
    percent = count / total * 100 if total else 0.0
    limit = cfg["max_delete_percent"]
    if limit is not None and percent > limit:
        message = (f"detect_deletes: {percent:.1f}% of rows flagged for deletion exceeds threshold of "
                   f"{limit}%")
        if cfg["on_threshold_breach"] == "error":
            raise ExecutionError(f"{message} ({count} of {total} keys); check the source is complete, or raise "
                                 "max_delete_percent / set on_threshold_breach: warn", node=node.id,
                                 retryable=False)
        if cfg["on_threshold_breach"] == "skip":
            log.info("%s; skipping delete detection (node %s)", message, node.id)
            return _no_deletes(engine, frame, soft)
        log.warning("%s (node %s)", message, node.id)
    log.info("detect_deletes: %d deleted key(s) (%.1f%% of %d rows) in %s", count, percent, total, node.id)
    return engine.transformer("detect_deletes", params, frame, {**scope, sql.DELETED: deleted})


def _no_deletes(engine: Engine, frame: Any, soft: str | None) -> tuple[Any, str | None]:
    """``frame`` with the soft-delete column (false) if it lacks it, as Odibi does when nothing is deleted."""
    if soft is None or soft in [name for name, _ in engine.schema(frame)]:
        return frame, None
    query = sql.ensure_flag_sql(engine.dialect, soft)
    return engine.sql(query, {"df": frame}), query


def _previous(ctx: RunContext, node: PlanNode, engine: Engine, cfg: dict[str, Any]) -> Any | None:
    """The Delta target as it stands before this run writes (``connection``/``path`` params, else the node's
    write), or None when it does not exist yet."""
    if cfg.get("path"):
        name, path = cfg.get("connection") or (node.write.connection if node.write else None), cfg["path"]
    elif node.write is not None and node.write.format == "delta":
        name, path = node.write.connection, node.write.path
    else:
        raise ExecutionError("detect_deletes mode snapshot_diff compares with the previous version of a Delta "
                             "table, and this node writes none; write the node with format: delta, or set "
                             "params.connection and params.path to the Delta table", node=node.id,
                             retryable=False)
    if not name:
        raise ExecutionError("detect_deletes: params.path needs params.connection (the connection the Delta "
                             "table is on)", node=node.id, retryable=False)
    connection = ctx.connection(name)
    if not target_exists(connection, path, None):
        return None
    spec = ReadSpec(connection=name, format="delta", path=path)
    return engine.materialize(engine.read(spec, connection))
