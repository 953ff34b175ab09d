"""``build_dag`` / ``build_dags``: one Airflow DAG per odibi pipeline, built from the Plan.

The Plan comes from its on-disk cache, the translation is :func:`~odibi_provider.airflow.translator.dag_spec`
(pure), and :func:`add_tasks` is the one place that instantiates operators, TaskGroups and Assets.
When Airflow parses a DAG file to run one task it names the DAG it wants (the parsing context);
``build_dags`` then builds only that DAG.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import OdibiError
from ..importers.python_config import ProjectSource, project_file_for
from ..plan.cache import load_plan
from ._af import sdk
from .assets import asset, assets
from .operators.node import OdibiNodeOperator
from .operators.pipeline import OdibiPipelineOperator
from .translator import AirflowTranslator, DagSpec, TaskSpec, dag_spec, pipeline_of

if TYPE_CHECKING:  # pragma: no cover
    from ..hooks.manager import HookManager

PathLike = str | os.PathLike[str]


def build_dag(project_path: ProjectSource, pipeline: str, *, dag_id: str | None = None, env: str | None = None,
              vars: Mapping[str, Any] | None = None, translator: AirflowTranslator | None = None,
              operator_kwargs: Mapping[str, Any] | None = None, hooks: HookManager | None = None,
              granularity: str | None = None, **dag_kwargs: Any) -> sdk.DAG:
    """The DAG of one pipeline: a task per node in a TaskGroup per layer, dependencies from the Plan, an
    outlet Asset per written dataset, scheduled on the Assets of the pipelines it reads (unless the
    pipeline has its own ``schedule`` or ``dag_kwargs`` set one).

    ``vars`` (templated) and ``env`` reach every task; ``operator_kwargs`` go to every operator (pool,
    queue, ...); ``dag_kwargs`` go to ``DAG`` (``start_date``, ``default_args``, ``schedule``, ...).
    ``granularity`` (``node`` / ``pipeline``) overrides the pipeline's: with ``pipeline`` the DAG is one
    :class:`~odibi_provider.airflow.operators.pipeline.OdibiPipelineOperator` task running every node.
    """
    project_path = project_file_for(project_path)  # a ProjectConfig built in Python is written to a file
    plan = load_plan(project_path, env=env)
    spec = with_granularity(dag_spec(plan, pipeline, translator), granularity)
    return _dag(spec, os.fspath(project_path), dag_id=dag_id, env=env, vars=vars, hooks=hooks,
                operator_kwargs=operator_kwargs, dag_kwargs=dag_kwargs)


def build_dags(project_path: ProjectSource, *, env: str | None = None, vars: Mapping[str, Any] | None = None,
               translator: AirflowTranslator | None = None, pipelines: Sequence[str] | None = None,
               operator_kwargs: Mapping[str, Any] | None = None, hooks: HookManager | None = None,
               granularity: str | None = None, **dag_kwargs: Any) -> dict[str, sdk.DAG]:
    """One DAG per pipeline (or per name in ``pipelines``), by DAG id. In a DAG file::

        globals().update(build_dags("/path/to/project"))

    Pipelines that read each other's datasets are linked by Assets, not by task dependencies.
    """
    project_path = project_file_for(project_path)  # a ProjectConfig built in Python is written to a file
    plan = load_plan(project_path, env=env)
    tr = translator or AirflowTranslator()
    names = list(pipelines) if pipelines is not None else [p.name for p in plan.pipelines]
    by_dag_id = {tr.get_dag_id(pipeline_of(plan, name), plan): name for name in names}
    wanted = sdk.get_parsing_context().dag_id
    if wanted in by_dag_id:  # a worker parsing this file to run one task of one DAG
        by_dag_id = {wanted: by_dag_id[wanted]}
    return {dag_id: _dag(with_granularity(dag_spec(plan, name, tr), granularity), os.fspath(project_path),
                         env=env, vars=vars, hooks=hooks, operator_kwargs=operator_kwargs, dag_kwargs=dag_kwargs)
            for dag_id, name in by_dag_id.items()}


def _dag(spec: DagSpec, project_path: str, *, dag_id: str | None = None, env: str | None,
         vars: Mapping[str, Any] | None, hooks: HookManager | None, operator_kwargs: Mapping[str, Any] | None,
         dag_kwargs: Mapping[str, Any]) -> sdk.DAG:
    kwargs: dict[str, Any] = {"schedule": schedule_of(spec), "description": spec.description,
                              "tags": list(spec.tags), "doc_md": _doc(spec, project_path)}
    if spec.asset_schedule:  # it runs when the pipelines it reads update: paused, the chain would silently stop
        kwargs["is_paused_upon_creation"] = False
    kwargs.update(dag_kwargs)
    kwargs["tags"] = list(dict.fromkeys([*spec.tags, *dag_kwargs.get("tags", ())]))  # added to, not replaced
    with sdk.DAG(dag_id or spec.dag_id, **kwargs) as dag:
        if spec.granularity == "pipeline":
            add_pipeline_task(spec, dag=dag, project_path=project_path, env=env, vars=vars, hooks=hooks,
                              operator_kwargs=operator_kwargs)
        else:
            add_tasks(spec.tasks, dag=dag, project_path=project_path, groups=dict(spec.groups), env=env,
                      vars=vars, hooks=hooks, operator_kwargs=operator_kwargs, story_link=spec.stories)
    return dag


def with_granularity(spec: DagSpec, granularity: str | None) -> DagSpec:
    """``spec`` with ``granularity`` (``node`` or ``pipeline``) when one is given."""
    if granularity is None:
        return spec
    if granularity not in ("node", "pipeline"):
        raise OdibiError(f"granularity must be 'node' or 'pipeline', got {granularity!r}")
    return replace(spec, granularity=granularity)


def add_pipeline_task(spec: DagSpec, *, dag: sdk.DAG, project_path: str, env: str | None = None,
                      vars: Mapping[str, Any] | None = None, hooks: HookManager | None = None,
                      operator_kwargs: Mapping[str, Any] | None = None) -> OdibiPipelineOperator:
    """The one task of a ``granularity: pipeline`` DAG: every node's outlets and outside inlets on it."""
    outlets = dict.fromkeys(uri for task in spec.tasks for uri in task.outlets)
    inlets = dict.fromkeys(uri for task in spec.tasks for uri in task.inlets)
    doc = "\n".join(f"- `{task.node_id}`" + (f": {task.doc_md}" if task.doc_md else "") for task in spec.tasks)
    owners = {task.owner for task in spec.tasks if task.owner}
    kwargs: dict[str, Any] = {"doc_md": f"Runs the nodes of pipeline **{spec.pipeline}**:\n\n{doc}",
                              **({"owner": owners.pop()} if len(owners) == 1 else {}), **(operator_kwargs or {})}
    definition = "\n\n".join(task.definition for task in spec.tasks if task.definition) or None
    return OdibiPipelineOperator(task_id=spec.pipeline, project_path=project_path, pipeline=spec.pipeline, env=env,
                                 vars=vars, hooks=hooks, dag=dag, outlets=assets(outlets), inlets=assets(inlets),
                                 odibi_definition=definition, story_link=spec.stories, **kwargs)


def schedule_of(spec: DagSpec) -> Any:
    """A cron/preset string, the list of Assets this DAG waits for (all of them), or None (manual)."""
    if spec.schedule:
        return spec.schedule
    if spec.asset_schedule:
        return [asset(uri) for uri in spec.asset_schedule]
    return None


def add_tasks(tasks: Sequence[TaskSpec], *, dag: sdk.DAG, project_path: str,
              parent_group: sdk.TaskGroup | None = None,
              groups: Mapping[str, str] | None = None, env: str | None = None,
              vars: Mapping[str, Any] | None = None, hooks: HookManager | None = None,
              operator_kwargs: Mapping[str, Any] | None = None, story_link: bool = True
              ) -> dict[str, OdibiNodeOperator]:
    """Instantiate one operator per spec (in its layer TaskGroup under ``parent_group``) and wire the
    dependencies between them; return the operators by node id. ``story_link``: see OdibiNodeOperator."""
    layer_groups: dict[str, sdk.TaskGroup] = {}
    operators: dict[str, OdibiNodeOperator] = {}
    for task in tasks:
        group = parent_group
        if task.group_id:
            group = layer_groups.get(task.group_id)
            if group is None:
                group = layer_groups[task.group_id] = sdk.TaskGroup(
                    group_id=task.group_id, tooltip=(groups or {}).get(task.group_id, ""), dag=dag,
                    parent_group=parent_group)
        kwargs: dict[str, Any] = {**task.retry_kwargs, **(operator_kwargs or {})}
        if task.owner:
            kwargs.setdefault("owner", task.owner)
        if task.doc_md:
            kwargs.setdefault("doc_md", task.doc_md)
        operators[task.node_id] = OdibiNodeOperator(
            task_id=task.task_id, project_path=project_path, node_id=task.node_id, env=env, vars=vars, hooks=hooks,
            odibi_definition=task.definition or None, story_link=story_link,
            dag=dag, task_group=group, outlets=assets(task.outlets), inlets=assets(task.inlets), **kwargs)
    for task in tasks:
        _wire(operators[task.node_id], [operators[u] for u in task.upstream])
    return operators


def _wire(task: OdibiNodeOperator, upstream: list[OdibiNodeOperator]) -> None:
    """``task.set_upstream(upstream)`` without its cost: ``set_upstream`` hashes the DAG of every task it
    touches, and a DAG's hash covers its schedule, so on an Asset-scheduled DAG it costs O(#Assets) per
    edge (seconds per 1,000 nodes). Every task here was created in the same DAG, which is all that
    ``set_upstream`` checks before recording the edge on both ends, as done here."""
    for other in upstream:
        if other.dag is not task.dag:  # pragma: no cover - add_tasks creates every task in one DAG
            task.set_upstream(other)
            continue
        task.upstream_task_ids.add(other.task_id)
        other.downstream_task_ids.add(task.task_id)


def _doc(spec: DagSpec, project_path: str) -> str:
    lines = [f"odibi pipeline **{spec.pipeline}** of `{project_path}`."]
    if spec.description:
        lines.append(spec.description)
    if spec.asset_schedule:
        lines.append("Runs when these datasets are updated: " + ", ".join(f"`{u}`" for u in spec.asset_schedule))
    return "\n\n".join(lines)
