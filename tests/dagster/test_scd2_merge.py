"""Odibi's SCD2 (``transformer: scd2``) materialized by Dagster twice: history rows after a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import run_assets
from tests.engines.scd2_project import EXPECTED_HISTORY, SECOND, summary, write_scd2_project


@pytest.mark.parametrize("fmt, target", [("delta", "path: dim_customer"), ("sql", "table: dim_customer")])
def test_scd2_history_under_dagster(tmp_path: Path, fmt: str, target: str) -> None:
    project = write_scd2_project(tmp_path, fmt, target)
    assert run_assets(build_definitions(project)).success
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    assert run_assets(build_definitions(project)).success
    assert summary(tmp_path, fmt) == EXPECTED_HISTORY
