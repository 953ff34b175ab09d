"""Freshness is judged against the run's logical time under Dagster: the partition's window end, or the tick of
a scheduled run; never the wall clock of a backfill months later."""

from __future__ import annotations

from pathlib import Path

import pytest

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import run_assets

FRESH = """
project: fresh
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
pipelines:
  - pipeline: events
    nodes:
      - name: loaded
        TAGS
        read: {connection: raw, format: csv, path: events.csv}
        validation:
          tests:
            - {type: freshness, column: ts, max_age: "24h"}
        write: {connection: lake, format: parquet, path: loaded.parquet}
"""
EVENTS = "id,ts\n1,2026-04-28 08:00:00\n2,2026-04-29 10:00:00\n"


def _project(make_project, tags: str) -> Path:
    return make_project(FRESH.replace("TAGS", tags), {"data/events.csv": EVENTS})


def test_a_partition_is_fresh_against_its_window_end(make_project):
    project = _project(make_project, 'tags: ["partition:daily:2026-04-01"]')
    assert run_assets(build_definitions(project), partition_key="2026-04-29").success  # newest 14 h before 04-30
    late = run_assets(build_definitions(project), partition_key="2026-05-03")  # 4 days after the newest row
    assert not late.success


@pytest.mark.parametrize(("tick", "ok"), [("2026-04-30T00:00:00+00:00", True), (None, False)])
def test_a_scheduled_run_is_fresh_against_its_tick(make_project, tick, ok):
    project = _project(make_project, "tags: []")
    tags = {"dagster/scheduled_execution_time": tick} if tick else {}
    assert run_assets(build_definitions(project), tags=tags).success is ok  # no tick: today, months later
