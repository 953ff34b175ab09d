"""The star schema of Odibi's dimensional patterns materialized by Dagster (``execute_in_process``)."""

from __future__ import annotations

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import run_assets
from tests.patterns.star_project import EXPECTED_FACT_KEYS, star_outputs, write_star


def test_star_schema_materializes_under_dagster(tmp_path):
    result = run_assets(build_definitions(write_star(tmp_path)))
    assert result.success
    customers, facts = star_outputs(tmp_path)
    assert customers == [(0, -1), (1, 1), (2, 2), (3, 3)]
    assert facts == EXPECTED_FACT_KEYS
