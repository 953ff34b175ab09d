"""Odibi's validation_pipeline shape (own data) run in-process: valid rows, quarantined rows with their
reasons, and each gate's decision (the Dagster and Airflow runs check the same)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.hooks import HookManager
from odibi_provider.runner import run_project
from tests.runner.validation_shape import GATE_BLOCKED, LOGICAL_TIME, check, write_project


def test_the_validation_pipeline_shape_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_LOGICAL_TIME", LOGICAL_TIME)
    hooks, blocked = HookManager(), []
    hooks.register("gate_blocked", blocked.append)
    result = run_project(write_project(tmp_path), hooks=hooks, workers=1)
    passed, strict = result["p.customers"], result["p.strict"]
    assert passed.status == "warning" and passed.rows_written == 4 and passed.quarantined_rows == 6
    assert passed.gate is not None and passed.gate.passed
    assert [t.name for t in passed.tests if not t.passed] == [
        "not_null_id_name", "unique_id", "accepted_values_tier", "range_score", "regex_match_email",
        "ordered_dates"]
    assert (strict.status, strict.retryable, strict.quarantined_rows) == ("failed", False, 0)
    assert GATE_BLOCKED in (strict.error or "")
    assert [e.node for e in blocked] == ["p.strict"]
    check(tmp_path)


def test_the_logical_time_decides_freshness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_LOGICAL_TIME", "2026-06-01T00:00:00+00:00")  # 720h after the newest last_seen
    result: Any = run_project(write_project(tmp_path), workers=1)["p.customers"]
    assert result.status == "failed" and "freshness_last_seen: the newest last_seen" in (result.error or "")
    assert not (tmp_path / "out" / "customers_quarantine").exists()
