"""Odibi's incremental reads (``read.incremental``), the SQL built once in :mod:`engines.sql.incremental`.

``stateful``: rows past the stored high-water mark (minus ``watermark_lag``). The mark lives in the system
store (``{system}/state/{state_key or node}.json``, local or on an object store) and advances only after the
node's write succeeds, so a failed run re-reads the same rows. ``rolling_window``: rows from the last
``lookback`` before now, every row while the node's target does not exist yet (Odibi's first run).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..engines.sql.incremental import filter_query, mark_query
from ..errors import ExecutionError
from ..plan.model import PlanNode
from ..store import Store
from .context import RunContext


def _state_file(ctx: RunContext, node: PlanNode) -> Store:
    key = node.read.incremental.state_key if node.read and node.read.incremental else None
    return ctx.system_store.child("state", f"{key or node.id}.json")


def _target_exists(ctx: RunContext, node: PlanNode, engine: Any) -> bool:
    """Does the node's write target exist? (no write: a rolling window always applies)"""
    if node.write is None:
        return True
    try:
        engine.schema(engine.read(node.write.as_read(), ctx.connection(node.write.connection)))
    except Exception:  # noqa: BLE001 (nothing readable there yet: the first run loads everything)
        return False
    return True


def apply_incremental(ctx: RunContext, node: PlanNode, engine: Any, frame: Any) -> Any:
    """``frame`` keeping only the rows this incremental read selects."""
    spec = node.read.incremental if node.read else None
    if spec is None or ctx.partition_key:  # a partition run reads its own window, not past the mark
        return frame
    if spec.mode == "rolling_window":
        if not _target_exists(ctx, node, engine):
            return frame
        return engine.sql(filter_query(engine.dialect, spec, now=dt.datetime.now()), {"df": frame})
    try:
        mark = _state_file(ctx, node).read_json()["mark"]
    except FileNotFoundError:
        return frame
    if spec.lag_seconds and isinstance(mark, (int, float)):
        raise ExecutionError(f"node {node.id}: read.incremental.watermark_lag subtracts a duration from a date or "
                             f"time, but the mark of '{spec.column}' is the number {mark}; drop watermark_lag",
                             retryable=False)
    return engine.sql(filter_query(engine.dialect, spec, mark=mark), {"df": frame})


def incremental_read_options(ctx: RunContext, node: PlanNode) -> dict[str, Any] | None:
    """Read options that send the stored mark to the source: an api read's ``incremental_param`` is added to
    its request ``params`` (the rows are still filtered by :func:`apply_incremental`). None when not needed."""
    read = node.read
    name = read.options.get("incremental_param") if read and read.format == "api" else None
    spec = read.incremental if read else None
    if name is None or spec is None or getattr(spec, "mode", "stateful") != "stateful" or ctx.partition_key:
        return None
    try:
        mark = _state_file(ctx, node).read_json()["mark"]
    except FileNotFoundError:
        return None
    return {"params": {**dict(node.read.options.get("params") or {}), str(name): mark}} if node.read else None


def save_mark(ctx: RunContext, node: PlanNode, engine: Any, frame: Any) -> None:
    """Store the new high-water mark of a stateful read (the largest value in what was written)."""
    spec = node.read.incremental if node.read else None
    if spec is None or spec.mode != "stateful" or ctx.partition_key or not engine.count(frame):
        return
    rows = engine.sample(engine.sql(mark_query(engine.dialect, spec), {"df": frame}), 1)
    mark = rows[0]["mark"] if rows else None
    if mark is None:
        return
    _state_file(ctx, node).write_json({"mark": mark, "run_id": ctx.run_id}, indent=None)
