"""When one pipeline of a run fails, only that pipeline hears ``pipeline_error``: in-process and from
Dagster's run failure sensor; the pipelines that completed hear ``pipeline_complete``."""

from __future__ import annotations

import dagster as dg

from odibi_provider.dagster import build_definitions
from odibi_provider.runner import run_project
from tests.dagster.conftest import EventRecorder, run_assets

TWO_PIPELINES = """
project: outcomes
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
story: {connection: lake, path: stories, enabled: false}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: good
    nodes:
      - name: copy
        read: {connection: raw, format: csv, path: numbers.csv}
        write: {connection: lake, format: parquet, path: good.parquet}
  - pipeline: bad
    nodes:
      - name: broken
        read: {connection: raw, format: csv, path: numbers.csv}
        transform: {steps: ["SELECT no_such_column FROM df"]}
        write: {connection: lake, format: parquet, path: bad.parquet}
"""
FILES = {"data/numbers.csv": "n\n1\n2\n"}


def _pipeline_events(recorder: EventRecorder) -> dict[str, str]:
    return {e.pipeline: e.type.value for e in recorder.events if e.type.value.startswith("pipeline_")
            and e.type.value != "pipeline_start"}


def test_in_process_only_the_failed_pipeline_errors(make_project) -> None:
    recorder = EventRecorder()
    run_project(make_project(TWO_PIPELINES, FILES), hooks=recorder.hooks)
    assert _pipeline_events(recorder) == {"good": "pipeline_complete", "bad": "pipeline_error"}


def test_dagster_failure_sensor_errors_only_the_failed_pipeline(make_project) -> None:
    recorder = EventRecorder()
    defs = build_definitions(make_project(TWO_PIPELINES, FILES), hooks=recorder.hooks)
    with dg.instance_for_test() as instance:
        failed = run_assets(defs, instance=instance)
        assert not failed.success
        run = instance.get_run_by_id(failed.run_id)
        records = instance.get_records_for_run(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        context = dg.build_run_status_sensor_context(
            sensor_name="odibi_pipeline_error", dagster_event=records[0].event_log_entry.dagster_event,
            dagster_instance=instance, dagster_run=run).for_run_failure()
        recorder.clear()
        defs.resolve_sensor_def("odibi_pipeline_error")(context)
    assert _pipeline_events(recorder) == {"good": "pipeline_complete", "bad": "pipeline_error"}
