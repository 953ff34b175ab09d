"""Write a node's story record; observability never fails the node."""

from __future__ import annotations

import logging

from ..story.writer import StoryWriter
from .context import RunContext
from .results import NodeResult
from .views import node_story

log = logging.getLogger("odibi_provider.story")


def story_writer(ctx: RunContext) -> StoryWriter:
    """The writer of this run's story in the project's story store (local or an object store)."""
    return StoryWriter(ctx.story_store, ctx.run_id, project=ctx.plan.project)


def record_story(ctx: RunContext, result: NodeResult) -> str | None:
    """Write the node's JSON story fragment; return its path (None when stories are off or it failed)."""
    if not (ctx.story_enabled and ctx.plan.story.enabled):
        return None
    try:
        story = node_story(result, run_id=ctx.run_id, project=ctx.plan.project)
        return str(story_writer(ctx).write_node(story).story_path)
    except Exception as exc:  # noqa: BLE001 (a story failure is logged, never fatal)
        log.warning("could not write the story of %s: %s", result.node_id, exc)
        return None
