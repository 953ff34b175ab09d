"""An Odibi-written project (Odibi-style functions, ``transformer:`` naming a project function) under Dagster."""

from __future__ import annotations

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import run_assets
from tests.test_odibi_compat import check_outputs, write_compat


def test_odibi_style_functions_materialize_under_dagster(make_project):
    project = write_compat(make_project)
    result = run_assets(build_definitions(project))
    assert result.success
    check_outputs(project)
