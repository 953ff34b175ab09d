"""Odibi's validation_pipeline shape (own data) under Dagster: the same valid and quarantined rows as
in-process, the passing gate a passing check, the blocked gate a failed step that wrote nothing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import EventRecorder, run_assets, steps
from tests.runner.validation_shape import GATE_BLOCKED, LOGICAL_TIME, check, write_project


def test_the_validation_pipeline_shape_under_dagster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_LOGICAL_TIME", LOGICAL_TIME)
    recorder = EventRecorder()
    result = run_assets(build_definitions(write_project(tmp_path), hooks=recorder.hooks))
    assert steps(result) == ["p__customers"] and steps(result, "STEP_FAILURE") == ["p__strict"]
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert GATE_BLOCKED in str(failure.event_specific_data.error)
    gates = {e.asset_key.path[-1]: (e.passed, e.severity) for e in result.get_asset_check_evaluations()
             if e.check_name == "quality_gate"}
    assert gates == {"customers": (True, dg.AssetCheckSeverity.ERROR), "strict": (False, dg.AssetCheckSeverity.ERROR)}
    assert recorder.nodes("gate_blocked") == ["p.strict"] and recorder.nodes().count("p.strict") == 1
    check(tmp_path)
