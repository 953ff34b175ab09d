"""Jobs and schedules: a job per pipeline, a ScheduleDefinition per pipeline or node ``schedule`` (cron).

A job holds assets of at most one partitions definition (a Dagster rule): a pipeline mixing daily and
hourly nodes gets one job per partitioning, the unpartitioned nodes riding with the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import OdibiError
from ..plan.model import Plan
from ._dg import dg
from .assets import OdibiAssetArgs
from .translator import OdibiDagsterTranslator

if TYPE_CHECKING:  # pragma: no cover - define_asset_job's return type, not exported by dagster
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

SCHEDULE_TIMEZONE = "UTC"


@dataclass(frozen=True)
class JobArgs:
    """One asset job and, when it has a cron, its schedule."""

    name: str
    keys: tuple[dg.AssetKey, ...]
    partitions_def: dg.PartitionsDefinition | None = None
    cron: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    owner: str = ""  # "pipeline 'x'" or "node 'x.y'", for error messages


def build_job_args(plan: Plan, asset_args: Sequence[OdibiAssetArgs], *,
                   translator: OdibiDagsterTranslator | None = None) -> list[JobArgs]:
    """Pipeline jobs (split by partitioning) and one job per node that has its own ``schedule``."""
    translator = translator or OdibiDagsterTranslator()
    by_node = {a.node_id: a for a in asset_args}
    jobs: list[JobArgs] = []
    for pipeline in plan.pipelines:
        members = [by_node[n] for n in pipeline.nodes if n in by_node]
        if not members:
            continue
        base = translator.get_job_name(pipeline, plan)
        tags = {"odibi/project": plan.project, "odibi/pipeline": pipeline.name}
        for index, (pdef, group) in enumerate(_by_partitioning(members)):
            name = base if index == 0 else f"{base}_{_label(pdef, index)}"
            jobs.append(JobArgs(name=name, keys=tuple(a.spec.key for a in group), partitions_def=pdef,
                                cron=pipeline.schedule, description=pipeline.description, tags=tags,
                                owner=f"pipeline '{pipeline.name}'"))
    for node in plan.nodes:
        if node.schedule and node.id in by_node:
            args = by_node[node.id]
            jobs.append(JobArgs(name=f"{args.op_name}_job", keys=(args.spec.key,),
                                partitions_def=args.spec.partitions_def, cron=node.schedule,
                                description=f"odibi node {node.id}", owner=f"node '{node.id}'",
                                tags={"odibi/project": plan.project, "odibi/pipeline": node.pipeline}))
    return jobs


def _by_partitioning(
        members: list[OdibiAssetArgs]) -> list[tuple[dg.PartitionsDefinition | None, list[OdibiAssetArgs]]]:
    groups: dict[dg.PartitionsDefinition | None, list[OdibiAssetArgs]] = {}
    for args in members:
        groups.setdefault(args.spec.partitions_def, []).append(args)
    unpartitioned = groups.pop(None, [])
    if not groups:
        return [(None, unpartitioned)]
    ordered = list(groups.items())
    first_def, first = ordered[0]
    return [(first_def, unpartitioned + first), *ordered[1:]]


def _label(pdef: object, index: int) -> str:
    name = type(pdef).__name__.removesuffix("PartitionsDefinition").lower()
    return name if name and name != "timewindow" else f"p{index}"


def build_jobs_and_schedules(
        job_args: Sequence[JobArgs]) -> tuple[list[UnresolvedAssetJobDefinition], list[dg.ScheduleDefinition]]:
    """Asset jobs (resolved lazily by Definitions) and the schedules of jobs with a cron."""
    jobs: list[UnresolvedAssetJobDefinition] = []
    schedules: list[dg.ScheduleDefinition] = []
    for args in job_args:
        job = dg.define_asset_job(args.name, selection=dg.AssetSelection.assets(*args.keys), tags=args.tags,
                                  description=args.description)  # partitioning is inferred from the assets
        jobs.append(job)
        if args.cron:
            schedules.append(build_schedule(job, args))
    return jobs, schedules


def build_schedule(job: UnresolvedAssetJobDefinition, args: JobArgs) -> dg.ScheduleDefinition:
    """A cron schedule for ``job``; a partitioned job runs the last complete partition at each tick."""
    execution_fn = _last_partition(args, args.partitions_def) if args.partitions_def is not None else None
    try:
        return dg.ScheduleDefinition(name=f"{args.name}_schedule", cron_schedule=args.cron, job=job,
                                     execution_fn=execution_fn, tags=None if execution_fn else args.tags,
                                     execution_timezone=SCHEDULE_TIMEZONE)
    except dg.DagsterInvalidDefinitionError as exc:
        raise OdibiError(f"{args.owner}: schedule '{args.cron}' is not a valid cron expression "
                         f"(five fields, e.g. '0 6 * * *' for 06:00 every day): {exc}") from None


def _last_partition(args: JobArgs, partitions_def: dg.PartitionsDefinition
                    ) -> Callable[[dg.ScheduleEvaluationContext], dg.RunRequest | dg.SkipReason]:
    def last_partition(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        with dg.partition_loading_context(effective_dt=context.scheduled_execution_time):
            key = partitions_def.get_last_partition_key()
        if key is None:
            return dg.SkipReason("no complete partition yet")
        return dg.RunRequest(run_key=key, partition_key=key, tags=args.tags)

    return last_partition
