"""Run status sensors: when a run that touched odibi assets ends, emit ``pipeline_complete`` or
``pipeline_error`` to the odibi hooks (once per pipeline it touched) and render the run's HTML story."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..hooks.events import Event, EventType, event_type
from ..hooks.manager import HookManager
from ..plan.model import Plan
from ._dg import dg
from .resources import OdibiResource

log = logging.getLogger("odibi_provider.dagster")
PIPELINE_TAG = "odibi/pipeline"
IMPLICIT_ASSET_JOB = "__ASSET_JOB"  # the job Dagster runs for an ad-hoc asset selection


def run_pipelines(run: Any, pipeline_of: Mapping[dg.AssetKey, str]) -> list[str]:
    """The odibi pipelines a run touched: its pipeline tag, else the pipelines of its selected assets."""
    tagged = (run.tags or {}).get(PIPELINE_TAG)
    if tagged:
        return [tagged]
    if run.asset_selection:
        keys = [k for k in run.asset_selection if k in pipeline_of]
    elif run.job_name == IMPLICIT_ASSET_JOB:  # "materialize all" of the code location
        keys = list(pipeline_of)
    else:  # a job that is not odibi's
        keys = []
    return sorted({pipeline_of[k] for k in keys})


def finish_run(run: Any, kind: str | EventType, *, plan: Plan, pipeline_of: Mapping[dg.AssetKey, str],
               hooks: HookManager | None, odibi: OdibiResource, error: str | None = None) -> list[Event]:
    """Emit ``kind`` for each pipeline of ``run`` and render its story; return the events emitted."""
    pipelines = run_pipelines(run, pipeline_of)
    if not pipelines:
        return []
    run_id = run.root_run_id or run.run_id
    layers = {p.name: p.layer for p in plan.pipelines}
    events = [Event(event_type(kind), run_id=run_id, project=plan.project, pipeline=name, layer=layers.get(name),
                    error=error)
              for name in pipelines]
    if hooks is not None:
        for event in events:
            hooks.emit(event)
    _render_story(plan, odibi, run_id)
    return events


def _render_story(plan: Plan, odibi: OdibiResource, run_id: str) -> None:
    try:
        from ..story.html import render_run_index

        run_store = odibi.run_context(plan, run_id=run_id).story_store.child(run_id)
        if run_store.child("nodes").glob("*.json"):
            render_run_index(run_store)
    except Exception as exc:  # noqa: BLE001 - observability never fails the work
        log.warning("could not render the story of run %s: %s", run_id, exc)


def build_run_status_sensors(plan: Plan, pipeline_of: Mapping[dg.AssetKey, str], *, hooks: HookManager | None,
                             odibi: OdibiResource, prefix: str = "") -> list[dg.SensorDefinition]:
    """A failure sensor (``pipeline_error``) and a success sensor (``pipeline_complete``), on by default."""
    running = dg.DefaultSensorStatus.RUNNING

    @dg.run_failure_sensor(name=f"{prefix}odibi_pipeline_error", default_status=running,
                           description="Emits odibi pipeline_error to the project's hooks; renders the run story")
    def odibi_pipeline_error(context: dg.RunFailureSensorContext) -> None:
        message = context.failure_event.message if context.failure_event else "the run failed"
        finish_run(context.dagster_run, "pipeline_error", error=message, plan=plan, pipeline_of=pipeline_of,
                   hooks=hooks, odibi=odibi)

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name=f"{prefix}odibi_pipeline_complete",
                          default_status=running,
                          description="Emits odibi pipeline_complete to the project's hooks; renders the run story")
    def odibi_pipeline_complete(context: dg.RunStatusSensorContext) -> None:
        finish_run(context.dagster_run, "pipeline_complete", plan=plan, pipeline_of=pipeline_of, hooks=hooks,
                   odibi=odibi)

    return [odibi_pipeline_error, odibi_pipeline_complete]
