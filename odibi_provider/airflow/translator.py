"""Plan -> Airflow task specs: a pure translation, one overridable method per attribute.

Nothing here imports Airflow; :mod:`odibi_provider.airflow.dag_builder` turns a :class:`DagSpec` into
a DAG in one place. Customise by subclassing :class:`AirflowTranslator` and overriding one ``get_*``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from .._suggest import did_you_mean, known
from ..errors import OdibiError
from ..plan.describe import describe_node, node_definition_sql
from ..plan.model import PipelineSpec, Plan, PlanNode
from ..plan.naming import project_slug

# Airflow has no linear backoff: ``linear`` retries wait ``delay_seconds`` each time (a constant delay).
BACKOFF_MULTIPLIER = {"exponential": 2.0, "linear": 0.0, "constant": 0.0}
CROSS_PIPELINE_WITHOUT_WRITE = (
    "node '{node}' takes the output of '{upstream}' from pipeline '{pipeline}', which has no 'write'; under "
    "Airflow each pipeline is its own DAG and data crosses DAGs only through written datasets. Give "
    "'{upstream}' a 'write' (it then becomes an Asset this DAG is scheduled on)")


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One node as an Airflow task: ids, dependencies, Asset URIs and retry settings (operator kwargs)."""

    node_id: str
    task_id: str
    group_id: str | None
    upstream: tuple[str, ...]
    outlets: tuple[str, ...]
    inlets: tuple[str, ...]
    retry: tuple[tuple[str, Any], ...]
    owner: str | None
    doc_md: str | None
    definition: str = ""

    @property
    def retry_kwargs(self) -> dict[str, Any]:
        """``retries``/``retry_delay``/``retry_exponential_backoff``/``max_retry_delay`` (empty: host default)."""
        return dict(self.retry)


@dataclass(frozen=True, slots=True)
class DagSpec:
    """One pipeline as an Airflow DAG: a cron ``schedule`` or the Asset URIs it is scheduled on."""

    dag_id: str
    pipeline: str
    schedule: str | None
    asset_schedule: tuple[str, ...]
    description: str | None
    tags: tuple[str, ...]
    groups: tuple[tuple[str, str], ...]  # (group_id, tooltip)
    tasks: tuple[TaskSpec, ...]
    granularity: str = "node"  # "pipeline": one task runs every node (OdibiPipelineOperator)
    stories: bool = True  # the project writes run stories (false: its tasks get no "odibi story" link)


def is_validation_only(node: PlanNode) -> bool:
    """A node that only checks its upstream's data: retrying it cannot change the outcome."""
    return bool(node.tests) and node.read is None and not node.steps and node.write is None


class AirflowTranslator:
    """How Plan nodes and pipelines become DAGs and tasks. Override one method to change one attribute.

    Every method takes the node (or pipeline) first and the plan second, as
    :class:`~odibi_provider.dagster.OdibiDagsterTranslator` does.
    """

    def get_dag_id(self, pipeline: PipelineSpec, plan: Plan) -> str:
        """``{project slug}_{pipeline}``: the project name as an identifier (see plan/naming.py)."""
        return f"{project_slug(plan.project)}_{pipeline.name}"

    def get_group_id(self, node: PlanNode, plan: Plan) -> str | None:
        """The TaskGroup a node's task sits in: its layer."""
        return node.layer

    def get_task_id(self, node: PlanNode, plan: Plan) -> str:
        return node.name

    def get_owner(self, node: PlanNode, plan: Plan) -> str | None:
        return node.owner or plan.owner

    def get_doc_md(self, node: PlanNode, plan: Plan) -> str | None:
        """Task docs: the node's description, then what it reads, runs, checks and writes."""
        return describe_node(node)

    def get_definition(self, node: PlanNode, plan: Plan) -> str:
        """What the task shows under Rendered Templates: the node's SQL, steps, tests and write."""
        return node_definition_sql(node)

    def get_tags(self, pipeline: PipelineSpec, plan: Plan) -> tuple[str, ...]:
        return tuple(dict.fromkeys(["odibi", plan.project, pipeline.layer, *pipeline.tags]))

    def get_retry(self, node: PlanNode, plan: Plan) -> dict[str, Any]:
        """The manifest's ``retry`` as operator kwargs; validation-only nodes are never retried."""
        if is_validation_only(node):
            return {"retries": 0}
        spec = node.retry
        if spec is None:
            return {}
        kwargs: dict[str, Any] = {"retries": max(0, spec.max_attempts - 1), "retry_delay": float(spec.delay_seconds),
                                  "retry_exponential_backoff": BACKOFF_MULTIPLIER.get(spec.backoff, 0.0)}
        if spec.max_delay_seconds is not None:
            kwargs["max_retry_delay"] = float(spec.max_delay_seconds)
        return kwargs

    def get_outlets(self, node: PlanNode, plan: Plan) -> tuple[str, ...]:
        """Asset URIs a node's task produces: the dataset it writes."""
        dataset = plan.dataset(node.dataset) if node.dataset else None
        return (dataset.uri,) if dataset else ()

    def get_inlets(self, node: PlanNode, plan: Plan, local: Collection[str]) -> tuple[str, ...]:
        """Asset URIs a node reads from outside ``local`` (the nodes of its own DAG)."""
        uris = [dataset.uri for upstream_id in node.upstream if upstream_id not in local
                and (key := plan.node(upstream_id).dataset) and (dataset := plan.dataset(key)) is not None]
        return tuple(dict.fromkeys(uris))

    def get_schedule(self, pipeline: PipelineSpec, plan: Plan, inlets: tuple[str, ...]
                     ) -> str | tuple[str, ...] | None:
        """The pipeline's own ``schedule``, else the Assets written by the pipelines it reads, else None."""
        if pipeline.schedule:
            return pipeline.schedule
        return inlets or None


def task_specs(plan: Plan, node_ids: Collection[str], translator: AirflowTranslator | None = None, *,
               layer_groups: bool = True) -> tuple[TaskSpec, ...]:
    """Specs for ``node_ids`` (one DAG's or group's nodes); dependencies outside them become inlets."""
    tr = translator or AirflowTranslator()
    local = set(node_ids)
    specs = []
    for node_id in node_ids:
        node = plan.node(node_id)
        specs.append(TaskSpec(
            node_id=node.id, task_id=tr.get_task_id(node, plan),
            group_id=tr.get_group_id(node, plan) if layer_groups else None,
            upstream=tuple(u for u in node.upstream if u in local), outlets=tr.get_outlets(node, plan),
            inlets=tr.get_inlets(node, plan, local), retry=tuple(tr.get_retry(node, plan).items()),
            owner=tr.get_owner(node, plan), doc_md=tr.get_doc_md(node, plan),
            definition=tr.get_definition(node, plan)))
    return tuple(specs)


def dag_spec(plan: Plan, pipeline: str, translator: AirflowTranslator | None = None) -> DagSpec:
    """The DAG for one pipeline of ``plan``: tasks grouped by layer, scheduled by cron or by Assets."""
    tr = translator or AirflowTranslator()
    spec = pipeline_of(plan, pipeline)
    _check_crossings(plan, spec.nodes)
    tasks = task_specs(plan, spec.nodes, tr)
    inlets = tuple(dict.fromkeys(uri for task in tasks for uri in task.inlets))
    schedule = tr.get_schedule(spec, plan, inlets)
    groups = tuple(dict.fromkeys(t.group_id for t in tasks if t.group_id))
    if len(groups) == 1 and all(t.group_id for t in tasks):  # one layer: a group would group nothing
        tasks, groups = tuple(replace(t, group_id=None) for t in tasks), ()
    return DagSpec(
        dag_id=tr.get_dag_id(spec, plan), pipeline=spec.name,
        schedule=schedule if isinstance(schedule, str) else None,
        asset_schedule=schedule if isinstance(schedule, tuple) else (),
        description=spec.description, tags=tr.get_tags(spec, plan),
        groups=tuple((g, f"{plan.project} · layer {g}") for g in groups), tasks=tasks,
        granularity=spec.granularity, stories=plan.story.enabled)


def pipeline_of(plan: Plan, name: str) -> PipelineSpec:
    """The pipeline ``name``; an unknown name lists the project's pipelines."""
    names = [p.name for p in plan.pipelines]
    if name not in names:
        hint = did_you_mean(name, names) or f"pipelines: {known(names)}"
        raise OdibiError(f"project '{plan.project}' has no pipeline '{name}'; {hint}")
    return plan.pipeline(name)


def _check_crossings(plan: Plan, node_ids: tuple[str, ...]) -> None:
    """Data crosses DAGs only through written datasets (intermediates belong to one DAG run)."""
    local = set(node_ids)
    for node_id in node_ids:
        for upstream_id in plan.node(node_id).upstream:
            upstream = plan.node(upstream_id)
            if upstream_id not in local and upstream.write is None:
                raise OdibiError(CROSS_PIPELINE_WITHOUT_WRITE.format(node=node_id, upstream=upstream_id,
                                                                     pipeline=upstream.pipeline))
