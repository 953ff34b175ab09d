"""Schedules, partitions and sensors evaluate as Dagster would: build_schedule_context, build_sensor_context."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pandas as pd
import pytest

from odibi_provider.dagster import build_definitions, new_files
from odibi_provider.dagster.run_status import finish_run, run_pipelines
from tests.dagster.conftest import EventRecorder, run_assets

DAILY = """
project: daily
vars: {partition_start: "1970-01-01 00:00:00", partition_end: "2999-01-01 00:00:00"}
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
pipelines:
  - pipeline: events
    schedule: "0 1 * * *"
    nodes:
      - name: by_day
        tags: ["partition:daily:2026-01-01"]
        read: {connection: raw, format: csv, path: events.csv}
        transform:
          steps:
            - >
              SELECT * FROM df WHERE CAST(ts AS TIMESTAMP) >= TIMESTAMP '${vars.partition_start}'
                               AND CAST(ts AS TIMESTAMP) < TIMESTAMP '${vars.partition_end}'
        write: {connection: lake, format: parquet, path: by_day.parquet}
"""
EVENTS = "id,ts\n1,2026-01-01 08:00:00\n2,2026-01-02 09:30:00\n3,2026-01-02 23:59:00\n4,2026-01-03 00:00:00\n"

LANDING = """
project: landing
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
pipelines:
  - pipeline: ingest
    nodes:
      - name: drops
        read: {connection: raw, format: csv, path: "landing/*.csv"}
        write: {connection: lake, format: parquet, path: drops.parquet}
      - name: summary
        depends_on: [drops]
        transform: {steps: ["SELECT count(*) AS n FROM df"]}
        write: {connection: lake, format: parquet, path: summary.parquet}
"""


@pytest.fixture
def daily(make_project) -> Path:
    return make_project(DAILY, {"data/events.csv": EVENTS})


def test_a_partition_runs_the_node_on_its_window(daily):
    result = run_assets(build_definitions(daily), partition_key="2026-01-02")
    assert result.success
    frame = pd.read_parquet(daily.parent / "lake" / "by_day.parquet")
    assert sorted(frame["id"]) == [2, 3]  # only 2026-01-02 00:00 <= ts < 2026-01-03 00:00


def test_a_pipeline_schedule_requests_its_job(make_project):
    project = make_project(LANDING.replace("    nodes:", '    schedule: "30 5 * * *"\n    nodes:', 1))
    defs = build_definitions(project)
    schedule = defs.resolve_schedule_def("ingest_schedule")
    assert schedule.cron_schedule == "30 5 * * *" and schedule.job_name == "ingest"
    tick = datetime(2026, 3, 1, 5, 30, tzinfo=UTC)
    context = dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())
    data = schedule.evaluate_tick(context)
    (request,) = data.run_requests
    assert request.tags["odibi/pipeline"] == "ingest"


def test_a_partitioned_schedule_requests_the_last_complete_partition(daily):
    defs = build_definitions(daily)
    schedule = defs.resolve_schedule_def("events_schedule")
    tick = datetime(2026, 1, 3, 1, 0, tzinfo=UTC)
    context = dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())
    data = schedule.evaluate_tick(context)
    assert [r.partition_key for r in data.run_requests] == ["2026-01-02"]


def test_the_cursor_remembers_what_it_has_seen():
    fresh, cursor = new_files({"a.csv": 10, "b.csv": 20}, None)
    assert fresh == ["a.csv", "b.csv"] and json.loads(cursor) == {"mtime": 20, "seen": ["b.csv"]}
    assert new_files({"a.csv": 10, "b.csv": 20}, cursor)[0] == []
    fresh, cursor = new_files({"a.csv": 10, "b.csv": 20, "c.csv": 20, "a2.csv": 30}, cursor)
    assert fresh == ["a2.csv", "c.csv"] and json.loads(cursor) == {"mtime": 30, "seen": ["a2.csv"]}


def _land(project: Path, name: str, rows: str, mtime: int) -> None:
    path = project.parent / "data" / "landing" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,v\n" + rows, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def test_a_landing_sensor_runs_on_new_files_with_a_cursor(make_project):
    project = make_project(LANDING)
    defs = build_definitions(project)
    sensor = defs.resolve_sensor_def("ingest__drops_new_files")
    _land(project, "a.csv", "1,x\n2,y\n", 1_700_000_000)
    first = sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    (request,) = first.run_requests
    assert set(request.asset_selection) == {dg.AssetKey(["ingest", "drops"]), dg.AssetKey(["ingest", "summary"])}
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert not again.run_requests and again.cursor == first.cursor
    _land(project, "b.csv", "3,z\n", 1_700_000_100)
    second = sensor.evaluate_tick(dg.build_sensor_context(cursor=again.cursor))
    (request_b,) = second.run_requests
    assert request_b.run_key != request.run_key and json.loads(second.cursor)["seen"][0].endswith("b.csv")
    assert run_assets(defs, request_b.asset_selection).success
    assert pd.read_parquet(project.parent / "lake" / "summary.parquet")["n"].tolist() == [3]


def test_a_failed_run_emits_pipeline_error_to_hooks(make_project):
    project = make_project(LANDING)  # no landing files yet: the read fails
    recorder = EventRecorder()
    defs = build_definitions(project, hooks=recorder.hooks)
    with dg.instance_for_test() as instance:
        failed = run_assets(defs, instance=instance)
        assert not failed.success
        run = instance.get_run_by_id(failed.run_id)
        records = instance.get_records_for_run(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        context = dg.build_run_status_sensor_context(
            sensor_name="odibi_pipeline_error", dagster_event=records[0].event_log_entry.dagster_event,
            dagster_instance=instance, dagster_run=run).for_run_failure()
        defs.resolve_sensor_def("odibi_pipeline_error")(context)
    (event,) = [e for e in recorder.events if e.type.value == "pipeline_error"]
    assert (event.pipeline, event.run_id, event.project) == ("ingest", failed.run_id, "landing")
    assert "drops" in event.error or "failed" in event.error


def test_finishing_a_run_renders_the_story(retail_project, retail_run, retail_defs):
    """The run status sensors re-render the run's HTML story from every node's fragment."""
    run = retail_run.dagster_run
    index = retail_project / "output" / "lake" / "_stories" / run.run_id / "index.html"
    index.unlink()
    odibi = retail_defs.resources["odibi"]
    events = finish_run(run, "pipeline_complete", plan=odibi.load_plan(), hooks=None, odibi=odibi,
                        pipeline_of={k: k.path[0] for k in retail_defs.resolve_asset_graph().get_all_asset_keys()
                                     if k.path[0] != "source"})
    assert sorted(e.pipeline for e in events) == ["bronze", "gold", "silver"]
    assert index.is_file() and "gold.top_products" in index.read_text(encoding="utf-8")


def test_run_pipelines_come_from_tags_selection_or_the_asset_job():
    pipeline_of = {dg.AssetKey(["bronze", "a"]): "bronze", dg.AssetKey(["gold", "b"]): "gold"}

    def run(job: str, selection: object = None, tags: dict | None = None) -> SimpleNamespace:
        return SimpleNamespace(job_name=job, asset_selection=selection, tags=tags or {})

    assert run_pipelines(run("bronze", tags={"odibi/pipeline": "bronze"}), pipeline_of) == ["bronze"]
    assert run_pipelines(run("__ASSET_JOB", {dg.AssetKey(["gold", "b"])}), pipeline_of) == ["gold"]
    assert run_pipelines(run("__ASSET_JOB"), pipeline_of) == ["bronze", "gold"]
    assert run_pipelines(run("my_own_job"), pipeline_of) == []
    assert run_pipelines(run("__ASSET_JOB", {dg.AssetKey(["mine"])}), pipeline_of) == []
