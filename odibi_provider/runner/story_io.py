"""Write a node's story record; observability never fails the node."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable
from functools import cache

from ..store import Store
from ..story.refresh import has_fragment, page_due, recorded
from ..story.writer import StoryWriter, fragments, load_node
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


def refresh_host_story(ctx: RunContext, nodes: Collection[str], *, failed: bool, retry_pending: bool = False,
                       render: bool = True) -> Store | None:
    """After a host task's node (``failed``: it failed; ``retry_pending``: the host retries it), settle the run
    summary and re-render the run's page when :func:`odibi_provider.story.refresh.page_due` says so; return
    the page when it was rendered.

    ``nodes`` are the run's nodes (the DAG's). Whether the run is over comes from the fragment file names
    (:func:`run_over`), so a task in the middle of a run reads no fragment, and the O(nodes) summary and
    render run only for a failure, the run's end, or a page older than the refresh interval.
    """
    from ..story.html import render_run_index

    run = story_writer(ctx).run_store
    names = recorded(run)
    over = not retry_pending and run_over(ctx, nodes, names)
    due = render and page_due(run, final=over, now=failed, fragments_count=len(names))
    if not (over or failed or due):
        return None  # a later task, the last one, or a story server renders the page
    final = settle_story(ctx, nodes, running=retry_pending)
    return render_run_index(run) if render and (due or final) else None


def run_over(ctx: RunContext, nodes: Collection[str], names: frozenset[str]) -> bool:
    """Whether each of ``nodes`` has a fragment (``names``: :func:`odibi_provider.story.refresh.recorded`)
    or never runs, being downstream of a failed node. Decided from file names: the only fragments read are
    those right upstream of a node without one, in plan order, until a node is found that may still run."""
    plan = ctx.plan
    writer = story_writer(ctx)
    behind: dict[str, bool] = {}  # a node without a fragment -> downstream of a failed one

    @cache
    def failed(node_id: str) -> bool:
        return load_node(writer.node_store(node_id)).status == "failed"

    def blocked(node_id: str) -> bool:
        stack = [node_id]
        while stack:  # depth first without recursion: a chain may be longer than Python's stack
            node = plan.node(stack[-1])
            missing = [u for u in node.upstream if not has_fragment(names, u)]
            if todo := [u for u in missing if u not in behind]:
                stack.extend(todo)
                continue
            stack.pop()
            behind[node.id] = any(behind[u] for u in missing) or any(
                failed(u) for u in node.upstream if has_fragment(names, u))
        return behind[node_id]

    wanted = set(nodes)
    return all(has_fragment(names, n.id) or blocked(n.id) for n in plan.nodes if n.id in wanted)
