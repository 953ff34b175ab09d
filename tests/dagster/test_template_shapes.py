"""Projects shaped like Odibi's ``star-schema`` and ``scd2`` init templates materialized by Dagster."""

from __future__ import annotations

from pathlib import Path

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import run_assets
from tests.patterns.template_shapes import (
    EXPECTED_MEMBERS,
    EXPECTED_VISITS,
    MEMBERS_LATER,
    members,
    visits,
    write_scd2_shape,
    write_star_shape,
)


def test_star_schema_template_shape_under_dagster(tmp_path: Path) -> None:
    project = write_star_shape(tmp_path)
    assert run_assets(build_definitions(project)).success
    assert visits(tmp_path) == EXPECTED_VISITS


def test_scd2_template_shape_under_dagster(tmp_path: Path) -> None:
    project = write_scd2_shape(tmp_path)
    assert run_assets(build_definitions(project)).success
    (tmp_path / "landing" / "members.csv").write_text(MEMBERS_LATER)
    assert run_assets(build_definitions(project)).success
    assert members(tmp_path) == EXPECTED_MEMBERS
