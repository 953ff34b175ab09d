"""Projects shaped like Odibi's ``star-schema`` and ``scd2`` init templates validate and run in-process:
the fact takes each dimension's surrogate key (the unknown member for an orphan) from dimensions re-read in a
second pipeline; the SCD2 dimension keeps the old version after a tracked change."""

from __future__ import annotations

from pathlib import Path

from odibi_provider.plan import compile_project
from odibi_provider.runner import run_project
from tests.patterns.template_shapes import (
    EXPECTED_MEMBERS,
    EXPECTED_VISITS,
    MEMBERS_LATER,
    members,
    visits,
    write_scd2_shape,
    write_star_shape,
)


def _ok(project: Path) -> None:
    result = run_project(project, workers=2)
    assert result.ok, [(r.node_id, r.error) for r in result.results if r.error]


def test_star_schema_template_shape_runs(tmp_path: Path) -> None:
    project = write_star_shape(tmp_path)
    plan = compile_project(project)
    assert {"facts.dim_store", "facts.dim_day"} <= set(plan.node("facts.fact_visits").upstream)
    _ok(project)
    assert visits(tmp_path) == EXPECTED_VISITS


def test_scd2_template_shape_keeps_history(tmp_path: Path) -> None:
    project = write_scd2_shape(tmp_path)
    _ok(project)
    (tmp_path / "landing" / "members.csv").write_text(MEMBERS_LATER)
    _ok(project)
    assert members(tmp_path) == EXPECTED_MEMBERS
