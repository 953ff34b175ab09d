"""``run_project``: run a Plan in-process, independent nodes in parallel, data handed over in memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

from ..hooks.events import Event, EventType, event_type
from ..hooks.manager import HookManager
from ..hooks.sinks import EventSink
from ..importers.python_config import ProjectSource
from ..logconfig import apply_logging
from ..manifest.project_lookup import project_path
from ..plan.cache import load_plan
from ..plan.model import Plan
from . import performance
from .context import RunContext
from .node import run_node
from .outcomes import failed_pipelines, pipeline_outcomes
from .results import NodeResult, RunResult
from .retention import prune_after_run
from .selection import layer_selection, select_nodes
from .state import RunRecorder, completed_in_run, resume_point
from .story_io import finish_story
from .views import log_lines, node_event

log = logging.getLogger("odibi_provider.runner")
Progress = Callable[[str, str, NodeResult | None], None]


def run_project(path: ProjectSource | Plan, env: str | None = None, *, select: str | Iterable[str] | None = None,
                engine: str | None = None, target_layers: str | Iterable[str] | None = None,
                hooks: HookManager | None = None, log_sink: EventSink | None = None, workers: int | None = None,
                resume: bool = False, vars: Mapping[str, Any] | None = None,
                progress: Progress | None = None, logical_time: datetime | str | None = None) -> RunResult:
    """Run the project at ``path`` (or a compiled Plan) and return per-node results.

    ``path`` may also be a project's name (``run_project("Sales Analytics", "qat")``, as odibi_de_v2
    callers write it): the project of that name is looked up under the working directory. ``env`` picks
    the environment overlay; ``target_layers`` keeps only the nodes of those layers (with ``select``: both
    apply); ``log_sink`` (``hooks/log_sinks.py``) records one row per node for this run.

    Run state is recorded as the run starts and as each node completes, so ``resume=True`` continues the
    last started run of this project (also one killed midway): same run id, only the nodes of its selection
    (within ``select``) that did not complete. It raises :class:`~odibi_provider.runner.state.NothingToResume`,
    changing nothing, when no node is left. ``progress(node_id, state, result)`` is called with state
    ``start`` and ``done``. ``workers`` (nodes at once) defaults to the project's ``performance.max_workers``,
    else 4. The project's ``logging:`` block is applied first; story retention prunes old runs at the end.
    ``logical_time`` (a datetime or ISO text; default ``$ODIBI_LOGICAL_TIME``, else now) is the time
    ``freshness`` checks measure age against, as a host's logical date is.
    """
    plan = path if isinstance(path, Plan) else load_plan(project_path(path), env=env, vars=vars)
    select = layer_selection(plan, select, target_layers)
    apply_logging(plan.logging.thaw() if plan.logging is not None else None)
    run_hooks = (hooks or HookManager()).merge()
    if log_sink is not None:
        log_sink.attach(run_hooks)
    ctx = RunContext(plan=plan, hooks=run_hooks, engine_override=engine,
                     extras={"logical_time": logical_time} if logical_time else {})
    recorder = _resume(ctx, select) if resume else RunRecorder(
        ctx.system_store, run_id=ctx.run_id, project=plan.project, selected=select_nodes(plan, select))
    selected = recorder.to_run
    recorder.start()
    started = time.time()
    run_hooks.emit(Event(EventType.RUN_START, run_id=ctx.run_id, project=plan.project,
                         details={"nodes": len(selected), "env": env}))
    _emit(ctx, "pipeline_start", {plan.node(n).pipeline for n in selected}, details={"nodes": len(selected)})
    results = _Scheduler(ctx, selected, performance.workers(plan.performance, workers), progress, recorder.node).run()
    run = RunResult(run_id=ctx.run_id, project=plan.project, results=tuple(results),
                    duration_s=time.time() - started,
                    ignored_failures=tuple(r.node_id for r in results
                                           if r.status == "failed" and plan.node(r.node_id).on_error == "ignore"))
    run = _finish_story(ctx, run)
    recorder.finish()
    prune_after_run(ctx)
    outcomes = pipeline_outcomes(((plan.node(n).pipeline, n) for n in selected),
                                 {*run.completed, *run.ignored_failures})
    _emit(ctx, "pipeline_complete", {p for p, kind in outcomes.items() if kind == "pipeline_complete"},
          duration_s=run.duration_s, details={"completed": len(run.completed)})
    _emit(ctx, "pipeline_error", set(failed_pipelines(outcomes)), duration_s=run.duration_s,
          error=f"failed: {', '.join(run.failed) or 'none'}; skipped: {', '.join(run.skipped) or 'none'}")
    run_hooks.emit(Event(EventType.RUN_END, run_id=ctx.run_id, project=plan.project, duration_s=run.duration_s,
                         error=None if run.ok else f"failed: {', '.join(run.failed)}",
                         details={"status": run.status, "completed": len(run.completed), "env": env}))
    return run


def run_selection(ctx: RunContext, node_ids: Iterable[str], *, workers: int | None = None,
                  progress: Progress | None = None,
                  stop_on_failure: bool = False) -> list[NodeResult]:
    """Run ``node_ids`` of ``ctx.plan`` under ``ctx.run_id`` as one batch: a host's pipeline step.

    Nodes this run already completed (``runs/<run_id>/done``, e.g. before a retry of the step) are not run
    again; each node that completes is recorded the moment it ends. Upstreams outside the batch, or
    completed earlier, are read from where they were written (or the run's intermediates). A failure skips
    its descendants in the batch; the other nodes go on, as they would as separate host steps, unless
    ``stop_on_failure`` (then a ``fail_fast`` node's failure stops the batch). Returns the results of the
    nodes run here, in completion order; ``progress`` is called as each starts and ends.
    """
    done = completed_in_run(ctx.system_store, ctx.run_id)
    wanted = [n for n in select_nodes(ctx.plan, list(node_ids)) if n not in done]
    recorder = RunRecorder(ctx.system_store, run_id=ctx.run_id, project=ctx.plan.project, selected=wanted,
                           track_last=False)
    scheduler = _Scheduler(ctx, wanted, performance.workers(ctx.plan.performance, workers), progress, recorder.node,
                           fail_fast=stop_on_failure)
    return scheduler.run()


def _resume(ctx: RunContext, select: str | Iterable[str] | None) -> RunRecorder:
    """The recorder of the last started run, continued under its run id with the nodes it has left."""
    last, remaining = resume_point(ctx.plan, ctx.system_store, select)
    ctx.run_id = last.run_id
    return RunRecorder(ctx.system_store, run_id=last.run_id, project=last.project, selected=last.selected,
                       status=last.status, to_run=remaining)


class _Scheduler:
    """Submits nodes whose upstreams are done; applies each node's ``on_error``."""

    def __init__(self, ctx: RunContext, selected: list[str], workers: int, progress: Progress | None,
                 record: Callable[[NodeResult], None], *, fail_fast: bool = True) -> None:
        self.ctx, self.workers, self.progress, self.record = ctx, workers, progress, record
        self.fail_fast = fail_fast
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
        if plan.logging is not None:  # the project asked for logs (logging:): each node's lines, as hosts log
            for level, line in log_lines(result):
                log.log(level, line)
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
        if self.fail_fast and plan.node(node_id).on_error == "fail_fast":
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

        writer = finish_story(ctx, run.results, started_at=time.time() - run.duration_s)
        if not ctx.plan.story.auto_generate:  # the records only, no HTML page
            return run
        html = render_run_index(writer.run_store)
        return RunResult(run.run_id, run.project, run.results, run.duration_s, html.uri, run.ignored_failures)
    except Exception as exc:  # noqa: BLE001 (the story never fails the run)
        log.warning("could not render the run story: %s", exc)
        return run


def _emit(ctx: RunContext, kind: str, pipelines: set[str], **values: Any) -> None:
    """One pipeline-level event per pipeline of ``pipelines``, in project order."""
    for pipeline in ctx.plan.pipelines:
        if pipeline.name in pipelines:
            ctx.hooks.emit(Event(event_type(kind), run_id=ctx.run_id, project=ctx.plan.project,
                                 pipeline=pipeline.name, layer=pipeline.layer, **values))
