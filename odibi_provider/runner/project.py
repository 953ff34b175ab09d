"""``run_project``: run a Plan in-process, independent nodes in parallel, data handed over in memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from ..hooks.events import Event, event_type
from ..hooks.manager import HookManager
from ..plan.cache import load_plan
from ..plan.model import Plan
from .context import RunContext
from .node import run_node
from .results import NodeResult, RunResult
from .selection import select_nodes
from .state import RunRecorder, resume_point
from .story_io import story_writer
from .views import node_event

log = logging.getLogger("odibi_provider.runner")
Progress = Callable[[str, str, NodeResult | None], None]


def run_project(path: str | Path | Plan, *, env: str | None = None, select: str | Iterable[str] | None = None,
                engine: str | None = None, hooks: HookManager | None = None, workers: int = 4,
                resume: bool = False, vars: Mapping[str, Any] | None = None,
                progress: Progress | None = None) -> RunResult:
    """Run the project at ``path`` (or a compiled Plan) and return per-node results.

    Run state is recorded as the run starts and as each node completes, so ``resume=True`` continues the
    last started run of this project (also one killed midway): same run id, only the nodes of its selection
    (within ``select``) that did not complete. It raises :class:`~odibi_provider.runner.state.NothingToResume`,
    changing nothing, when no node is left. ``progress(node_id, state, result)`` is called with state
    ``start`` and ``done``.
    """
    plan = path if isinstance(path, Plan) else load_plan(path, env=env, vars=vars)
    ctx = RunContext(plan=plan, hooks=hooks or HookManager(), engine_override=engine)
    recorder = _resume(ctx, select) if resume else RunRecorder(
        ctx.system_store, run_id=ctx.run_id, project=plan.project, selected=select_nodes(plan, select))
    selected = recorder.to_run
    recorder.start()
    started = time.time()
    _emit(ctx, "pipeline_start", selected, details={"nodes": len(selected)})
    results = _Scheduler(ctx, selected, max(1, workers), progress, recorder.node).run()
    run = RunResult(run_id=ctx.run_id, project=plan.project, results=tuple(results),
                    duration_s=time.time() - started,
                    ignored_failures=tuple(r.node_id for r in results
                                           if r.status == "failed" and plan.node(r.node_id).on_error == "ignore"))
    run = _finish_story(ctx, run)
    recorder.finish()
    if run.ok:
        _emit(ctx, "pipeline_complete", selected, duration_s=run.duration_s, details={"completed": len(run.completed)})
    else:
        _emit(ctx, "pipeline_error", selected, duration_s=run.duration_s, error=f"failed: {', '.join(run.failed)}")
    return run


def _resume(ctx: RunContext, select: str | Iterable[str] | None) -> RunRecorder:
    """The recorder of the last started run, continued under its run id with the nodes it has left."""
    last, remaining = resume_point(ctx.plan, ctx.system_store, select)
    ctx.run_id = last.run_id
    return RunRecorder(ctx.system_store, run_id=last.run_id, project=last.project, selected=last.selected,
                       status=last.status, to_run=remaining)


class _Scheduler:
    """Submits nodes whose upstreams are done; applies each node's ``on_error``."""

    def __init__(self, ctx: RunContext, selected: list[str], workers: int, progress: Progress | None,
                 record: Callable[[NodeResult], None]) -> None:
        self.ctx, self.workers, self.progress, self.record = ctx, workers, progress, record
        self.selected = set(selected)
        self.order = selected
        plan = ctx.plan
        self.waiting = {n: {u for u in plan.node(n).upstream if u in self.selected} for n in selected}
        self.consumers = {n: len([d for d in plan.downstream(n) if d in self.selected]) for n in selected}
        self.results: list[NodeResult] = []
        self.stopped = False
        self.skipped: set[str] = set()

    def run(self) -> list[NodeResult]:
        """At most ``workers`` nodes in flight; a node is submitted only when a worker is free for it, so
        after a ``fail_fast`` failure nothing new starts (nodes already running finish)."""
        running: dict[Future[NodeResult], str] = {}
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="odibi-node") as pool:
            while True:
                for node_id in self._ready(running, self.workers - len(running)):
                    self._notify(node_id, "start", None)
                    running[pool.submit(self._run_node, node_id)] = node_id
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    self._complete(running.pop(future), future.result())
        self._skip_rest("the run stopped after a failure (on_error: fail_fast)")
        return self.results

    def _ready(self, running: dict[Future[NodeResult], str], free: int) -> list[str]:
        if self.stopped or free <= 0:
            return []
        busy = set(running.values())
        ready = [n for n in self.order if not self.waiting[n] and n not in busy and n not in self.skipped][:free]
        for node_id in ready:
            self.waiting.pop(node_id)
        self.order = [n for n in self.order if n not in ready]
        return ready

    def _run_node(self, node_id: str) -> NodeResult:
        """In a worker: the node, then the durable record of how it ended (before any downstream starts)."""
        result = run_node(self.ctx.plan, node_id, self.ctx)
        self.record(result)
        return result

    def _complete(self, node_id: str, result: NodeResult) -> None:
        self.results.append(result)
        self._notify(node_id, "done", result)
        plan = self.ctx.plan
        for upstream in plan.node(node_id).upstream:
            if upstream in self.consumers:
                self.consumers[upstream] -= 1
                if self.consumers[upstream] <= 0:
                    self.ctx.memory.pop(upstream, None)
        if not self.consumers.get(node_id):
            self.ctx.memory.pop(node_id, None)
        if result.ok:
            for downstream in plan.downstream(node_id):
                self.waiting.get(downstream, set()).discard(node_id)
            return
        if plan.node(node_id).on_error == "fail_fast":
            self.stopped = True
        self._skip_descendants(node_id)

    def _skip_descendants(self, failed: str) -> None:
        stack = list(self.ctx.plan.downstream(failed))
        while stack:
            node_id = stack.pop()
            if node_id in self.waiting and node_id not in self.skipped:
                self._skip(node_id, f"upstream '{failed}' failed")
                stack.extend(self.ctx.plan.downstream(node_id))

    def _skip_rest(self, reason: str) -> None:
        for node_id in list(self.order):
            if node_id not in self.skipped:
                self._skip(node_id, reason)

    def _skip(self, node_id: str, reason: str) -> None:
        self.skipped.add(node_id)
        self.waiting.pop(node_id, None)
        self.order = [n for n in self.order if n != node_id]
        node = self.ctx.plan.node(node_id)
        result = NodeResult(node_id=node_id, status="skipped", pipeline=node.pipeline, layer=node.layer,
                            engine=node.engine, started_at=time.time(), skipped_reason=reason)
        self.results.append(result)
        self.ctx.hooks.emit(node_event(result, node, run_id=self.ctx.run_id, project=self.ctx.plan.project))
        self._notify(node_id, "done", result)

    def _notify(self, node_id: str, state: str, result: NodeResult | None) -> None:
        if self.progress is not None:
            try:
                self.progress(node_id, state, result)
            except Exception:
                log.debug("progress callback failed", exc_info=True)


def _finish_story(ctx: RunContext, run: RunResult) -> RunResult:
    if not (ctx.story_enabled and ctx.plan.story.enabled):
        return run
    try:
        from ..story.html import render_run_index

        writer = story_writer(ctx)
        writer.finish()
        html = render_run_index(writer.run_store)
        return RunResult(run.run_id, run.project, run.results, run.duration_s, html.uri, run.ignored_failures)
    except Exception as exc:  # noqa: BLE001 (the story never fails the run)
        log.warning("could not render the run story: %s", exc)
        return run


def _emit(ctx: RunContext, kind: str, selected: list[str], **values: Any) -> None:
    """One pipeline-level event per pipeline that has a selected node."""
    pipelines = {ctx.plan.node(n).pipeline for n in selected}
    for pipeline in ctx.plan.pipelines:
        if pipeline.name in pipelines:
            ctx.hooks.emit(Event(event_type(kind), run_id=ctx.run_id, project=ctx.plan.project,
                                 pipeline=pipeline.name, layer=pipeline.layer, **values))
