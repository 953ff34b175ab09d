"""Odibi's date substitutions: ``${date:now}``, ``${date:now:FMT}``, named dates and month/year offsets."""

from __future__ import annotations

import csv
import re
from datetime import datetime

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.manifest import load_project
from odibi_provider.plan import load_plan

NOW = datetime(2024, 3, 31, 14, 5, 6)

PROJECT = """
project: dates
connections: {raw: {type: local, base_path: data}}
pipelines:
  - pipeline: bronze
    nodes:
      - name: api
        read:
          connection: raw
          format: csv
          path: "in_${date:yesterday:%Y%m%d}.csv"
          options:
            response:
              add_fields:
                _fetched_at: ${date:now}
                _load_date: "${date:today}"
        write: {connection: raw, format: csv, path: out.csv}
"""


def _node(config):
    return config.pipelines[0].nodes[0]


@pytest.mark.parametrize(("form", "expected"), [
    pytest.param("now", "2024-03-31 14:05:06", id="now: date and time"),
    pytest.param("now:%Y%m%d%H%M", "202403311405", id="now with a format"),
    pytest.param("now:%Y-%m-%d %H:%M:%S", "2024-03-31 14:05:06", id="format with colons and a space"),
    pytest.param("today", "2024-03-31", id="today"),
    pytest.param("yesterday", "2024-03-30", id="yesterday"),
    pytest.param("start_of_month", "2024-03-01", id="start_of_month"),
    pytest.param("end_of_month", "2024-03-31", id="end_of_month"),
    pytest.param("start_of_year", "2024-01-01", id="start_of_year"),
    pytest.param("-1m", "2024-02-29", id="a month back lands on the month's last day"),
    pytest.param("+1y:%Y", "2025", id="a year on, formatted"),
    pytest.param("7d", "2024-04-07", id="an offset without a sign"),
    pytest.param("-7d:%Y-%m-%d %H:%M", "2024-03-24 00:00", id="day offsets count from midnight"),
])
def test_odibi_date_forms_resolve(make_project, form, expected):
    project = make_project(PROJECT.replace("in_${date:yesterday:%Y%m%d}",
                                                                 "in_${date:" + form + "}"))
    assert _node(load_project(project, now=NOW).config).read.path == f"in_{expected}.csv"


def test_date_now_resolves_inside_add_fields(make_project):
    loaded = load_project(make_project(PROJECT), now=NOW)
    add_fields = _node(loaded.config).read.options["response"]["add_fields"]
    assert add_fields == {"_fetched_at": "2024-03-31 14:05:06", "_load_date": "2024-03-31"}
    assert "date:now" in loaded.date_refs


def test_unknown_date_form_is_located_and_lists_the_forms(make_project):
    project = make_project(PROJECT.replace("${date:today}", "${date:tomorow}"))
    with pytest.raises(ProjectError) as caught:
        load_project(project, now=NOW)
    problem = caught.value.problems[0]
    assert "unknown date expression 'tomorow'" in problem.message and problem.line == 16
    assert "${date:yesterday}" in (problem.hint or "")


def test_a_cached_plan_with_date_now_is_never_stale(make_project):
    project = make_project(PROJECT.replace("""          options:
            response:
              add_fields:
                _fetched_at: ${date:now}
                _load_date: "${date:today}"
""", "").replace("in_${date:yesterday:%Y%m%d}", "in_${date:now:%H%M%S%f}"))
    first, second = load_plan(project).nodes[0].read.path, load_plan(project).nodes[0].read.path
    assert re.fullmatch(r"in_\d{12}\.csv", first) and first != second


def test_date_now_reaches_the_data_in_a_run(make_project):
    from odibi_provider import run_project

    project = make_project("""
        project: stamped
        connections: {raw: {type: local, base_path: data}}
        pipelines:
          - pipeline: p
            nodes:
              - name: n
                transform:
                  steps:
                    - sql: "SELECT 1 AS id, '${date:now}' AS loaded_at, '${date:start_of_month}' AS month"
                write: {connection: raw, format: csv, path: out.csv}
        """)
    (project.parent / "data").mkdir()
    before = datetime.now().replace(microsecond=0)
    result = run_project(project)
    assert result.ok, result
    with open(project.parent / "data" / "out.csv", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    stamped = datetime.strptime(row["loaded_at"], "%Y-%m-%d %H:%M:%S")
    assert before <= stamped <= datetime.now()
    assert row["month"] == before.strftime("%Y-%m-01")
