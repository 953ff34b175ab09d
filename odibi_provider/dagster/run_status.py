"""Run status sensors: when a run that touched odibi assets ends, emit ``pipeline_complete`` or
``pipeline_error`` to the odibi hooks (once per pipeline it touched: in a failed run, ``pipeline_error``
only for the pipelines that did not complete) and render the run's HTML story."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..hooks.events import Event, EventType, event_type
from ..hooks.manager import HookManager
from ..plan.model import Plan
from ..runner.outcomes import pipeline_outcomes
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
               hooks: HookManager | None, odibi: OdibiResource, error: str | None = None,
               materialized: set[dg.AssetKey] | None = None) -> list[Event]:
    """Emit ``kind`` for each pipeline of ``run`` and render its story; return the events emitted.

    With ``materialized`` (the asset keys the failed run did materialize), each pipeline gets its own
    outcome instead: ``pipeline_complete`` when all its selected assets materialized, else ``pipeline_error``
    (the same rule as in-process runs, :mod:`..runner.outcomes`)."""
    pipelines = run_pipelines(run, pipeline_of)
    if not pipelines:
        return []
    kinds = {name: str(event_type(kind)) for name in pipelines}
    if materialized is not None:
        kinds = pipeline_outcomes(((pipeline_of[k], k) for k in _selected_keys(run, pipeline_of, pipelines)),
                                  materialized)
    run_id = run.root_run_id or run.run_id
    layers = {p.name: p.layer for p in plan.pipelines}
    events = [Event(event_type(kinds[name]), run_id=run_id, project=plan.project, pipeline=name,
                    layer=layers.get(name), error=error if kinds[name] == "pipeline_error" else None)
              for name in pipelines if name in kinds]
    project_hooks = odibi.run_context(plan, run_id=run_id, hooks=hooks).hooks  # with the project's alerts/lineage
    for event in events:
        project_hooks.emit(event)
    if plan.story.auto_generate:  # false: the JSON records only, no HTML page
        _render_story(plan, odibi, run_id)
    _prune(plan, odibi, run_id)
    return events


def _selected_keys(run: Any, pipeline_of: Mapping[dg.AssetKey, str], pipelines: list[str]) -> list[dg.AssetKey]:
    if run.asset_selection:
        return [k for k in run.asset_selection if k in pipeline_of]
    return [k for k, p in pipeline_of.items() if p in pipelines]


def _materialized(instance: Any, run_id: str) -> set[dg.AssetKey]:
    """The asset keys run ``run_id`` materialized (read page by page from the event log)."""
    keys: set[dg.AssetKey] = set()
    cursor = None
    while True:
        page = instance.get_records_for_run(run_id, cursor=cursor, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION,
                                            limit=1000)
        keys |= {r.event_log_entry.dagster_event.asset_key for r in page.records}
        if not page.has_more:
            return keys
        cursor = page.cursor


def _prune(plan: Plan, odibi: OdibiResource, run_id: str) -> None:
    """Story retention after the run, as after ``run_project`` (never fails the sensor)."""
    try:
        from ..runner.retention import prune_after_run

        prune_after_run(odibi.run_context(plan, run_id=run_id))
    except Exception as exc:  # noqa: BLE001 - housekeeping never fails the work
        log.warning("could not apply story retention after run %s: %s", run_id, exc)


def _render_story(plan: Plan, odibi: OdibiResource, run_id: str) -> None:
    """The run's final summary (nodes a failure kept from running recorded as skipped) and its HTML page."""
    try:
        from ..runner.story_io import settle_story
        from ..story.html import render_run_index

        ctx = odibi.run_context(plan, run_id=run_id)
        run_store = ctx.story_store.child(run_id)
        if run_store.child("nodes").glob("*.json"):
            settle_story(ctx)
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
                   hooks=hooks, odibi=odibi,
                   materialized=_materialized(context.instance, context.dagster_run.run_id))

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name=f"{prefix}odibi_pipeline_complete",
                          default_status=running,
                          description="Emits odibi pipeline_complete to the project's hooks; renders the run story")
    def odibi_pipeline_complete(context: dg.RunStatusSensorContext) -> None:
        finish_run(context.dagster_run, "pipeline_complete", plan=plan, pipeline_of=pipeline_of, hooks=hooks,
                   odibi=odibi)

    return [odibi_pipeline_error, odibi_pipeline_complete]
