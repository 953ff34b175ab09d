"""Write a node's story record; observability never fails the node."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..plan.model import PlanNode
from ..story.record import ErrorRecord, NodeStory, mask_sample
from ..story.writer import StoryWriter
from .context import RunContext

if TYPE_CHECKING:
    from .node import Trace

log = logging.getLogger("odibi_provider.story")


def story_writer(ctx: RunContext) -> StoryWriter:
    return StoryWriter(ctx.story_root, ctx.run_id, project=ctx.plan.project)


def record_story(ctx: RunContext, node: PlanNode, trace: Trace, *, status: str, error: Exception | None,
                 attempts: int, finished: float) -> str | None:
    """Write the node's JSON story fragment; return its path (None when stories are off or it failed)."""
    if not (ctx.story_enabled and ctx.plan.story.enabled):
        return None
    try:
        validation = trace.validation
        story = NodeStory(
            run_id=ctx.run_id, project=ctx.plan.project, node_id=node.id, pipeline=node.pipeline,
            layer=node.layer, engine=node.engine, status=status, started_at=trace.started, finished_at=finished,
            attempts=attempts, rows_in=trace.rows_in, rows_out=trace.rows_out,
            rows_written=trace.write.rows_written if trace.write else None, schema_in=tuple(trace.schema_in),
            schema_out=tuple(trace.schema_out), sample=tuple(mask_sample(trace.sample, node.sensitive)),
            sql=tuple(trace.sql), validation=validation.tests if validation else (),
            quarantined_rows=validation.quarantined_rows if validation else 0, write=trace.write,
            error=ErrorRecord.from_exception(error) if error else None)
        return str(story_writer(ctx).write_node(story).story_path)
    except Exception as exc:  # noqa: BLE001 (a story failure is logged, never fatal)
        log.warning("could not write the story of %s: %s", node.id, exc)
        return None

