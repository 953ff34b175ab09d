"""OdibiPipelineOperator: run a whole odibi pipeline (or a selection of it) as one Airflow task.

The nodes run in the task's process with the in-process runner: independent nodes in parallel, data
handed over in memory, one engine session, each node's own ``retry`` settings applied in place. Each node's
outcome is logged as it finishes. Every completed node is recorded in the odibi run of this DAG run, so a
retry of the task finishes only the nodes that did not complete (no appends repeated). On success every
written dataset gets an outlet Asset event whose extra says rows, status and the story link.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...errors import ExecutionError
from .node import OdibiOperatorBase

if TYPE_CHECKING:  # pragma: no cover
    from airflow.sdk import Context

    from ...plan.model import Plan
    from ...runner import NodeResult



class OdibiPipelineOperator(OdibiOperatorBase):
    """Run the nodes of pipeline ``pipeline`` (or just ``select``, odibi selectors) in one task.

    Takes the arguments of :class:`~odibi_provider.airflow.operators.node.OdibiNodeOperator` (``env``,
    ``vars``, ``partition_key``, ``hooks``, ``story_base_url``...) with ``pipeline`` instead of ``node_id``.
    ``workers`` bounds the nodes running at once (default: the project's ``performance.max_workers``, else one
    per core up to 4). Returns (to XCom) each node's small metadata by node id.
    The task fails when a node failed, without retries when every failure was deterministic (a ``fail``
    validation, bad SQL...); a node with ``on_error: ignore`` that fails does not fail the task.
    """

    template_fields: Sequence[str] = (*OdibiOperatorBase.template_fields, "select")
    ui_color = "#c9e2bd"

    def __init__(self, *, project_path: str | os.PathLike[str], pipeline: str, select: str | None = None,
                 workers: int | None = None, task_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(project_path=project_path, task_id=task_id or pipeline, **kwargs)
        self.pipeline = pipeline
        self.select = select
        self.workers = workers

    def execute(self, context: Context) -> dict[str, Any]:
        from ...plan.cache import load_plan
        from ...runner import performance
        from ...runner.project import run_selection
        from ...runner.selection import select_nodes
        from ..translator import pipeline_of

        plan = load_plan(self.project_path, env=self.env, vars=self.vars or None)
        members = set(pipeline_of(plan, self.pipeline).nodes)
        chosen = [n for n in select_nodes(plan, self.select) if n in members] if self.select else sorted(members)
        nodes = [plan.node(n) for n in chosen]
        ctx = self._run_context(context, plan, nodes, retries="local")
        self.log.info("odibi run %s: pipeline %s, %d node(s), %d worker(s)", ctx.run_id, self.pipeline,
                      len(nodes), performance.workers(plan.performance, self.workers))

        def progress(_node: str, state: str, result: NodeResult | None) -> None:
            if state == "done" and result is not None:
                self._log_result(result)

        results = run_selection(ctx, chosen, workers=self.workers, progress=progress)
        if len(results) < len(chosen):
            self.log.info("odibi: %d node(s) completed in an earlier try of this run and were not run again",
                          len(chosen) - len(results))
        last = next((r for r in reversed(results) if r.story_path), None)
        self.story_url = self._publish_story(ctx, last) if last is not None else None
        self._outlet_extras(context, plan, results)
        _raise_for_any(plan, results)
        return {r.node_id: r.metadata() for r in results}


def _raise_for_any(plan: Plan, results: Sequence[NodeResult]) -> None:
    """Fail the task when a node failed (``on_error: ignore`` aside); not retried if no failure is transient."""
    failed = [r for r in results if r.status == "failed" and plan.node(r.node_id).on_error != "ignore"]
    if not failed:
        return
    message = "; ".join(f"{r.node_id}: {r.error}" for r in failed)
    if not any(r.retryable for r in failed):
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"odibi pipeline task failed on {len(failed)} node(s): {message}")
    raise ExecutionError(f"odibi pipeline task failed on {len(failed)} node(s): {message}")
