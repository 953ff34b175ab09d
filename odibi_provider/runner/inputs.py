"""Where a node's upstream data comes from: memory (same process) or where the upstream persisted it."""

from __future__ import annotations

import os
from typing import Any

from ..errors import ExecutionError
from ..plan.model import PlanNode, ReadSpec
from .context import RunContext


def upstream_frame(ctx: RunContext, upstream_id: str, consumer: PlanNode) -> Any:
    """The output of ``upstream_id`` as a frame for ``consumer``'s engine."""
    if upstream_id in ctx.memory:
        return ctx.memory[upstream_id]
    upstream = ctx.plan.node(upstream_id)
    engine = ctx.engine_for(consumer.engine)
    if upstream.write is not None:
        spec = ReadSpec(connection=upstream.write.connection, format=upstream.write.format,
                        path=upstream.write.path, table=upstream.write.table)
        return engine.read(spec, ctx.connection(spec.connection))
    location = ctx.intermediate_location(upstream_id)
    if not os.path.exists(location):
        raise ExecutionError(
            f"the output of '{upstream_id}' is not available: it has no 'write' and run {ctx.run_id} has not "
            f"produced it; include it in the selection ('+{consumer.id}') or give it a 'write'",
            node=consumer.id)
    return engine.read_intermediate(location)


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
