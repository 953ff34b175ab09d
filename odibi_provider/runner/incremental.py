"""Incremental reads: keep only rows newer than the stored high-water mark of ``read.incremental.column``.

The mark lives in the system store (``{system}/state/{node}.json``, local or on an object store) and
advances only after the node's write succeeds, so a failed run re-reads the same rows.
"""

from __future__ import annotations

from typing import Any

from ..plan.model import PlanNode
from ..store import Store
from .context import RunContext


def _state_file(ctx: RunContext, node: PlanNode) -> Store:
    key = node.read.incremental.state_key if node.read and node.read.incremental else None
    return ctx.system_store.child("state", f"{key or node.id}.json")


def apply_incremental(ctx: RunContext, node: PlanNode, engine: Any, frame: Any) -> Any:
    """``frame`` filtered to rows past the stored mark (minus ``lookback`` when given)."""
    spec = node.read.incremental if node.read else None
    if spec is None or ctx.partition_key:  # a partition run reads its own window, not past the mark
        return frame
    try:
        mark = _state_file(ctx, node).read_json()["mark"]
    except FileNotFoundError:
        return frame
    column, literal = engine.quote_ident(spec.column), engine.literal(str(mark))
    condition = f"{column} > {literal}"  # both SQL dialects cast the literal to the column's type
    if spec.lookback:
        condition = f"{column} > CAST({literal} AS TIMESTAMP) - INTERVAL '{spec.lookback}'"
    return engine.sql(f"SELECT * FROM df WHERE {condition}", {"df": frame})


def save_mark(ctx: RunContext, node: PlanNode, engine: Any, frame: Any) -> None:
    """Store the new high-water mark (the column's max in what was written)."""
    spec = node.read.incremental if node.read else None
    if spec is None or ctx.partition_key or not engine.count(frame):
        return
    column = engine.quote_ident(spec.column)
    rows = engine.sample(engine.sql(f"SELECT max({column}) AS mark FROM df", {"df": frame}), 1)
    mark = rows[0]["mark"] if rows else None
    if mark is None:
        return
    _state_file(ctx, node).write_json({"mark": mark, "run_id": ctx.run_id}, indent=None)
