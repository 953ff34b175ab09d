"""The body of every odibi asset: run exactly one node with ``run_node`` and report it to Dagster."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..hooks.manager import HookManager
from ..runner.node import run_node
from ..runner.results import NodeResult
from ..story.refresh import page_due
from ._dg import dg
from .checks import node_check_results
from .logs import LOGGED_BY_THE_STEP, log_node_end, with_dagster_log
from .metadata import materialization_metadata
from .partitions import logical_time, partition_vars

if TYPE_CHECKING:  # pragma: no cover
    from .assets import OdibiAssetArgs
    from .resources import OdibiResource

log = logging.getLogger("odibi_provider.dagster")


@dataclass(frozen=True)
class AssetRuntime:
    """What every asset body shares: the resource key of its OdibiResource and the user's hooks."""

    resource_key: str = "odibi"
    hooks: HookManager | None = None


def odibi_run_id(context: Any) -> str:
    """The root run id: a re-execution from failure finds the original run's intermediates."""
    run = context.run
    return run.root_run_id or run.run_id


def make_compute(args: OdibiAssetArgs, runtime: AssetRuntime) -> Callable[[Any, Mapping[str, Any]], Iterator[Any]]:
    """The op compute function (``(context, inputs)``) running ``args.node_id``."""

    def compute(context, _inputs: Mapping[str, Any]) -> Iterator[Any]:  # Dagster checks `context` hints
        return execute_node(context, args, runtime)

    compute.__name__ = args.op_name
    return compute


def execute_node(context: Any, args: OdibiAssetArgs, runtime: AssetRuntime) -> Iterator[Any]:
    """Run the node; yield a MaterializeResult with its checks, or the checks then raise ``Failure``."""
    odibi: OdibiResource = getattr(context.resources, runtime.resource_key)
    if "pyspark" in args.resource_keys:  # the Spark engine runs on the session Dagster's resource owns
        from ..engines.spark import configure_spark

        configure_spark(session=context.resources.pyspark.spark_session)
    overrides = partition_vars(context)
    run_id = odibi_run_id(context)
    plan = odibi.plan_for_run(context.run.run_id, overrides)  # this run's Plan, even when re-executing
    hooks = with_dagster_log(runtime.hooks, context.log, logged_by_caller=LOGGED_BY_THE_STEP)
    ctx = odibi.run_context(plan, run_id=run_id, hooks=hooks,
                            partition_key=overrides["partition_key"] if overrides else None,
                            logical_time=logical_time(context, overrides))
    node = plan.node(args.node_id)
    result = run_node(plan, args.node_id, ctx)  # no node_start line: Dagster's STEP_START is the node's start
    log_node_end(context.log, result, node, run_id=run_id, project=plan.project)
    render_story(result, attempt=context.retry_number + 1, page=plan.story.auto_generate,
                 always=not result.ok or not plan.downstream(node.id))  # a failure or a last node: show it now
    metadata = materialization_metadata(result, run_id, plan.project, story_base_url=odibi.story_base_url,
                                        columns=node.columns)
    metadata["odibi/attempt"] = context.retry_number + 1  # Dagster's attempt; the runner's own retries are off
    checks = node_check_results(args.checks, result)
    if result.ok:
        yield materialize_result(context, args.spec.key, metadata, checks)
        return
    yield from checks
    raise dg.Failure(description=f"odibi node {args.node_id} failed: {result.error}", metadata=metadata,
                     allow_retries=bool(result.retryable))


def materialize_result(context: Any, key: dg.AssetKey, metadata: Mapping[str, Any],
                       checks: Sequence[dg.AssetCheckResult]) -> dg.MaterializeResult:
    """The node's MaterializeResult, its metadata attached to the materialization only: metadata given to
    ``MaterializeResult`` would be copied onto the step's output event too (stored and shown twice)."""
    context.add_asset_metadata(metadata, asset_key=key)
    return dg.MaterializeResult(asset_key=key, check_results=checks)


def render_story(result: NodeResult, *, attempt: int | None = None, page: bool = True,
                 always: bool = True) -> Path | None:
    """Record Dagster's ``attempt`` (when Dagster owns the node's retries) in its story and, with ``page``,
    re-render the run's HTML story with this node in it, its summary ``running`` (the run status sensor
    writes the final one), when the shared rule says so (:func:`odibi_provider.story.refresh.page_due`,
    ``now`` when ``always``: a failure or a last node). Return the local ``index.html`` (None when not
    rendered, failed, or written to an object store)."""
    if not result.story_path:
        return None
    try:
        from ..store import Store
        from ..story.html import render_run_index
        from ..story.writer import StoryWriter, record_attempt

        fragment = Store.locate(result.story_path)  # local or in a remote story store
        if attempt is not None and attempt != result.attempts:  # the runner recorded its own count
            record_attempt(fragment, attempt)
        run = fragment.parent.parent
        if not page or not page_due(run, now=always):
            return None
        StoryWriter(run.parent, run.name).finish(running=True)
        index = render_run_index(run)
        return index.local_path() if index.is_local else None
    except Exception as exc:  # noqa: BLE001 - observability never fails the work
        log.warning("could not render the story of %s: %s", result.story_path, exc)
        return None
