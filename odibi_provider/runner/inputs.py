"""Where a node's upstream data comes from: memory (same process) or where the upstream persisted it.

Frames cross engines in one of two ways: an upstream that wrote a dataset is read back by the consumer's
engine (exactly what a host running each node in its own process does); an upstream held only in memory
crosses as an Arrow table (``to_arrow`` on its engine, ``from_arrow`` on the consumer's).
"""

from __future__ import annotations

from typing import Any

from ..errors import ExecutionError
from ..plan.model import PlanNode
from .context import RunContext


def upstream_frame(ctx: RunContext, upstream_id: str, consumer: PlanNode) -> Any:
    """The output of ``upstream_id`` as a frame of ``consumer``'s engine."""
    engine = ctx.engine_for(consumer.engine)
    upstream = ctx.plan.node(upstream_id)
    handoff = ctx.memory.get(upstream_id)
    if handoff is not None:
        if handoff.engine == engine.name:
            return handoff.frame
        if upstream.write is None:
            return engine.from_arrow(ctx.engine_for(handoff.engine).to_arrow(handoff.frame))
    if upstream.write is not None:
        spec = upstream.write.as_read()
        return engine.read(spec, ctx.connection(spec.connection))
    stored = ctx.intermediate_store(upstream_id)  # local, or in a remote system store
    if not stored.exists():
        raise ExecutionError(
            f"the output of '{upstream_id}' is not available: it has no 'write' and run {ctx.run_id} has not "
            f"produced it; include it in the selection ('+{consumer.id}') or give it a 'write'",
            node=consumer.id)
    return engine.read_intermediate(stored.uri)


def gather(ctx: RunContext, node: PlanNode) -> tuple[dict[str, Any], Any | None]:
    """Named relations for SQL (inputs by name, depends_on by node name) and the starting frame."""
    relations: dict[str, Any] = {}
    for name, upstream_id in node.inputs.items():
        relations[name] = upstream_frame(ctx, upstream_id, node)
    for upstream_id in node.depends_on:
        relations[ctx.plan.node(upstream_id).name] = upstream_frame(ctx, upstream_id, node)
    start = None
    if node.read is None:
        if node.primary_input:
            start = relations[ctx.plan.node(node.primary_input).name]
        elif node.inputs:
            start = relations[next(iter(node.inputs))]
    return relations, start
