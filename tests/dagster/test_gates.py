"""Quality gates and contracts under Dagster: each is an asset check; a blocked gate or a broken contract
fails the step once (never retried), blocks downstream and writes nothing; a passing gate reports a passing
check next to the tests."""

from __future__ import annotations

import dagster as dg

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import EventRecorder, run_assets, steps

PROJECT = """
project: gates
connections:
  raw: {{type: local, base_path: data}}
  lake: {{type: local, base_path: lake}}
retry: {{max_attempts: 3, backoff: constant, delay_seconds: 0}}
pipelines:
  - pipeline: p
    nodes:
      - name: source
        read: {{connection: raw, format: csv, path: rows.csv}}
        write: {{connection: lake, format: parquet, path: source.parquet}}
      - name: checked
        depends_on: [source]
        contracts:
          - {{type: row_count, name: enough_rows, min: {min_rows}}}
        validation:
          tests:
            - {{type: unique, columns: [id], on_fail: warn}}
          gate: {{require_pass_rate: {rate}, on_fail: abort}}
        write: {{connection: lake, format: parquet, path: checked.parquet}}
      - name: after
        depends_on: [checked]
        write: {{connection: lake, format: parquet, path: after.parquet}}
"""
ROWS = "id,v\n1,a\n1,b\n2,c\n3,d\n"


def _project(make_project, *, rate: float = 0.9, min_rows: int = 1):
    return make_project(PROJECT.format(rate=rate, min_rows=min_rows), {"data/rows.csv": ROWS})


def _evaluations(result) -> dict[str, tuple[bool, dg.AssetCheckSeverity]]:
    return {e.check_name: (e.passed, e.severity) for e in result.get_asset_check_evaluations()}


def test_the_gate_and_contracts_are_blocking_asset_checks(make_project):
    defs = build_definitions(_project(make_project))
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"quality_gate", "contract_enough_rows", "unique_id"} <= checks


def test_a_blocked_gate_fails_the_step_once_and_blocks_downstream(make_project):
    project = _project(make_project)
    recorder = EventRecorder()
    result = run_assets(build_definitions(project, hooks=recorder.hooks))
    assert not result.success
    assert steps(result) == ["p__source"] and steps(result, "STEP_FAILURE") == ["p__checked"]
    found = _evaluations(result)
    assert found["quality_gate"] == (False, dg.AssetCheckSeverity.ERROR)
    assert found["contract_enough_rows"] == (True, dg.AssetCheckSeverity.ERROR)
    assert found["unique_id"] == (False, dg.AssetCheckSeverity.WARN)
    assert recorder.nodes().count("p.checked") == 1 and recorder.nodes("gate_blocked") == ["p.checked"]
    assert "p.after" not in recorder.nodes()
    assert not (project.parent / "lake/checked.parquet").exists()


def test_a_broken_contract_fails_the_step_once(make_project):
    project = _project(make_project, rate=0.0, min_rows=10)
    recorder = EventRecorder()
    result = run_assets(build_definitions(project, hooks=recorder.hooks))
    assert steps(result, "STEP_FAILURE") == ["p__checked"] and recorder.nodes().count("p.checked") == 1
    assert _evaluations(result)["contract_enough_rows"] == (False, dg.AssetCheckSeverity.ERROR)
    assert not (project.parent / "lake/checked.parquet").exists()


def test_a_passing_gate_is_a_passing_check(make_project):
    result = run_assets(build_definitions(_project(make_project, rate=0.5)))
    assert result.success and steps(result) == ["p__after", "p__checked", "p__source"]
    assert _evaluations(result)["quality_gate"] == (True, dg.AssetCheckSeverity.ERROR)
