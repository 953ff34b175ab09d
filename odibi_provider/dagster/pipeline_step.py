"""``granularity: pipeline``: one subsettable multi-asset per pipeline, whose single step runs the selected
nodes with the in-process runner and reports each node to Dagster the moment it finishes.

Every node keeps its own asset spec and check specs (keys, groups, kinds, code versions, owners,
descriptions, partitions), built by the same translator as in node granularity. Inside the step the nodes
share one engine session and hand data over in memory; a failed node skips only its descendants. Each
completed node is recorded in the odibi run (``runs/<run_id>/done``), so a retry of the step or a
re-execution from failure runs only the nodes that did not complete (same odibi run id: appends are not
repeated). The step fails at the end when a node failed, retryable only if every failure was transient.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import OdibiError
from ..plan.model import Plan
from ..runner.project import run_selection
from ..runner.results import NodeResult
from . import names
from ._dg import dg
from .checks import node_check_results
from .execute import AssetRuntime, materialize_result, odibi_run_id, render_story
from .logs import log_node_end, with_dagster_log
from .metadata import materialization_metadata
from .partitions import logical_time, partition_vars

if TYPE_CHECKING:  # pragma: no cover
    from .assets import OdibiAssetArgs
    from .resources import OdibiResource

_END = object()
NODE_END = frozenset({"node_complete", "node_error"})


def build_pipeline_assets(plan: Plan, pipeline: str, asset_args: Sequence[OdibiAssetArgs], *,
                          runtime: AssetRuntime, key_prefix: Sequence[str] = ()) -> dg.AssetsDefinition:
    """The multi-asset of ``pipeline``: one spec per node of ``asset_args`` (all of that pipeline)."""
    partitions = {str(a.spec.partitions_def) for a in asset_args}
    if len(partitions) > 1:
        raise OdibiError(f"pipeline '{pipeline}' has nodes with different partitions, which one Dagster step "
                         "cannot run together; set 'granularity: node' on this pipeline")
    by_key = {a.spec.key: a for a in asset_args}
    resource_keys = set().union(*(a.resource_keys for a in asset_args))
    policies = [a.retry_policy for a in asset_args if a.retry_policy is not None]
    retry = max(policies, key=lambda p: p.max_retries) if policies else None

    @dg.multi_asset(name=names.op_name(*key_prefix, pipeline), specs=[a.spec for a in asset_args],
                    check_specs=[spec for a in asset_args for spec in a.check_specs], can_subset=True,
                    required_resource_keys=resource_keys, retry_policy=retry,
                    op_tags={"odibi/pipeline": pipeline, "odibi/granularity": "pipeline"})
    def pipeline_step(context) -> Iterator[Any]:  # Dagster checks the context hint: leave it bare
        yield from execute_pipeline(context, by_key, runtime)

    return pipeline_step


def execute_pipeline(context: Any, by_key: Mapping[dg.AssetKey, OdibiAssetArgs],
                     runtime: AssetRuntime) -> Iterator[Any]:
    """Run the selected nodes; yield each node's MaterializeResult (with its checks) as it completes, the
    check results of a node that failed, then raise ``Failure`` if any node failed."""
    odibi: OdibiResource = getattr(context.resources, runtime.resource_key)
    selected = [by_key[key] for key in by_key if key in context.selected_asset_keys]
    if any("pyspark" in a.resource_keys for a in selected):
        from ..engines.spark import configure_spark

        configure_spark(session=context.resources.pyspark.spark_session)
    overrides = partition_vars(context)
    run_id = odibi_run_id(context)
    plan = odibi.plan_for_run(context.run.run_id, overrides)
    hooks = with_dagster_log(runtime.hooks, context.log, logged_by_caller=NODE_END)  # logged below, on this thread
    ctx = odibi.run_context(plan, run_id=run_id, hooks=hooks,
                            partition_key=overrides["partition_key"] if overrides else None,
                            logical_time=logical_time(context, overrides))
    ctx.retries = "local"  # each node's own retry settings apply inside the step: siblings are not re-run
    args_of = {a.node_id: a for a in selected}
    checks_wanted = set(context.selected_asset_check_keys)
    failed: list[NodeResult] = []
    last: NodeResult | None = None
    for result in _stream(ctx, list(args_of)):
        if result.status == "skipped":
            context.log.warning(f"odibi node {result.node_id} skipped: {result.skipped_reason}")
            continue
        args = args_of[result.node_id]
        last = result
        log_node_end(context.log, result, plan.node(result.node_id), run_id=run_id, project=plan.project)
        metadata = materialization_metadata(result, run_id, plan.project, story_base_url=odibi.story_base_url)
        metadata["odibi/attempt"] = max(1, result.attempts)
        reported = node_check_results(args.checks, result)
        checks = [check for (spec, _), check in zip(args.checks, reported, strict=False) if spec.key in checks_wanted]
        if result.ok:
            yield materialize_result(context, args.spec.key, metadata, checks)
        else:
            failed.append(result)
            yield from checks
    if last is not None:
        render_story(last)
    if failed:
        lines = "; ".join(f"{r.node_id}: {r.error}" for r in failed)
        raise dg.Failure(description=f"odibi pipeline step failed on {len(failed)} node(s): {lines}",
                         allow_retries=any(r.retryable for r in failed))


def _stream(ctx: Any, node_ids: list[str]) -> Iterator[NodeResult]:
    """The results of running ``node_ids`` as they finish (the runner works on a thread; Dagster events are
    yielded here, on the step's own thread)."""
    finished: queue.Queue[Any] = queue.Queue()

    def progress(_node: str, state: str, result: NodeResult | None) -> None:
        if state == "done" and result is not None:
            finished.put(result)

    def run() -> None:
        try:
            run_selection(ctx, node_ids, progress=progress)  # workers: the project's, else one per core
            finished.put(_END)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the step's thread
            finished.put(exc)

    worker = threading.Thread(target=run, name="odibi-pipeline-step", daemon=True)
    worker.start()
    while (item := finished.get()) is not _END:
        if isinstance(item, BaseException):
            raise item
        yield item
    worker.join()
