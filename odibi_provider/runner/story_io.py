"""Write a node's story record; observability never fails the node."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from ..story.writer import StoryWriter, fragments
from .context import RunContext
from .results import NodeResult
from .views import node_story

log = logging.getLogger("odibi_provider.story")


def story_writer(ctx: RunContext, *, started_at: float | None = None) -> StoryWriter:
    """The writer of this run's story in the project's story store (local or an object store)."""
    return StoryWriter(ctx.story_store, ctx.run_id, project=ctx.plan.project, version=ctx.plan.version,
                       environment=ctx.plan.system.environment, started_at=started_at)


def record_story(ctx: RunContext, result: NodeResult) -> str | None:
    """Write the node's JSON story fragment; return its path (None when stories are off or it failed)."""
    if not (ctx.story_enabled and ctx.plan.story.enabled):
        return None
    try:
        story = node_story(result, run_id=ctx.run_id, project=ctx.plan.project, node=ctx.plan.node(result.node_id))
        return str(story_writer(ctx).write_node(story).story_path)
    except Exception as exc:  # noqa: BLE001 (a story failure is logged, never fatal)
        log.warning("could not write the story of %s: %s", result.node_id, exc)
        return None


def finish_story(ctx: RunContext, results: Iterable[NodeResult], *, started_at: float | None) -> StoryWriter:
    """Write the run summary from every node of the run: skipped nodes (which run no code, so wrote no
    fragment) get one first, so the header, the graph and the counts include them."""
    writer = story_writer(ctx, started_at=started_at)
    for result in results:
        if result.status == "skipped" and not writer.node_store(result.node_id).exists():
            record_story(ctx, result)
    writer.finish()
    return writer


def settle_story(ctx: RunContext, nodes: Iterable[str] | None = None, *, running: bool = False) -> bool:
    """A host's run summary (each node ran in its own step and wrote its own fragment).

    ``nodes``: the run's nodes; the summary is final, returning True, when each has a fragment or is
    downstream of a failed one (those never ran and are recorded as skipped), else it says ``running``.
    None: the run is over (a run status sensor); the nodes downstream of a failure, in the pipelines that
    ran, are recorded as skipped. ``running``: the run goes on whatever the fragments say (a host will
    retry a failed node).
    """
    writer = story_writer(ctx)
    recorded = {story.node_id: story for story in fragments(writer.run_store)}
    blocked: dict[str, None] = {}
    pending = [n for n, story in recorded.items() if story.status == "failed"]
    while pending:
        for child in ctx.plan.downstream(pending.pop()):
            if child not in blocked and child not in recorded:
                blocked[child] = None
                pending.append(child)
    if nodes is None:
        ran = {story.pipeline for story in recorded.values()}
        missing = [n for n in blocked if ctx.plan.node(n).pipeline in ran]
    else:
        missing = [n for n in dict.fromkeys(nodes) if n not in recorded]
    if running or any(n not in blocked for n in missing):
        writer.finish(running=True)
        return False
    skipped = []
    for node_id in missing:
        node = ctx.plan.node(node_id)
        behind = ", ".join(sorted(u for u in node.upstream if u in blocked or u in recorded))
        skipped.append(NodeResult(node_id=node_id, status="skipped", pipeline=node.pipeline, layer=node.layer,
                                  engine=node.engine, started_at=time.time(),
                                  skipped_reason=f"not run: upstream {behind} did not complete"))
    finish_story(ctx, skipped, started_at=None)
    return True
