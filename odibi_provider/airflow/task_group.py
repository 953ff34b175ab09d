"""OdibiTaskGroup: a pipeline's node tasks inside an existing, hand-written DAG."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..plan.cache import load_plan
from ._af import sdk
from .dag_builder import add_tasks
from .translator import AirflowTranslator, pipeline_of, task_specs

if TYPE_CHECKING:  # pragma: no cover
    from ..hooks.manager import HookManager
    from .operators.node import OdibiNodeOperator


class OdibiTaskGroup(sdk.TaskGroup):
    """The tasks of one pipeline, wired as the Plan says, as a TaskGroup of the surrounding DAG::

        with DAG("nightly", schedule="@daily") as dag:
            extract >> OdibiTaskGroup("/path/project", "silver") >> publish

    ``group_id`` defaults to the pipeline name. Each task declares its written dataset as an outlet
    Asset (``emit_assets=False``: none, so DAGs scheduled on those Assets, e.g. the generated ones of the
    same project, are not triggered by this DAG); dependencies on other pipelines are yours to draw
    (``bronze_group >> silver_group``).
    ``node_tasks`` maps node ids to their operators. Other keyword arguments go to ``TaskGroup``.
    """

    def __init__(self, project_path: str | os.PathLike[str], pipeline: str, *, group_id: str | None = None,
                 env: str | None = None, vars: Mapping[str, Any] | None = None,
                 translator: AirflowTranslator | None = None, operator_kwargs: Mapping[str, Any] | None = None,
                 hooks: HookManager | None = None, emit_assets: bool = True, **kwargs: Any) -> None:
        plan = load_plan(project_path, env=env)
        spec = pipeline_of(plan, pipeline)
        kwargs.setdefault("tooltip", spec.description or f"odibi pipeline {pipeline} ({spec.layer})")
        super().__init__(group_id=group_id or pipeline, **kwargs)
        tasks = task_specs(plan, spec.nodes, translator, layer_groups=False)
        if not emit_assets:
            tasks = tuple(replace(task, outlets=()) for task in tasks)
        self.node_tasks: dict[str, OdibiNodeOperator] = add_tasks(
            tasks, dag=self.dag, project_path=os.fspath(project_path), parent_group=self, env=env, vars=vars,
            hooks=hooks, operator_kwargs=operator_kwargs, story_link=plan.story.enabled)
