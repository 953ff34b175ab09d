"""Projects shaped like Odibi's ``star-schema`` and ``scd2`` init templates run by Airflow (``dag.test()``):
the dimensions DAG, then the facts DAG that re-reads them; the SCD2 dimension twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, task_states
from tests.patterns.template_shapes import (
    EXPECTED_MEMBERS,
    EXPECTED_VISITS,
    MEMBERS_LATER,
    members,
    visits,
    write_scd2_shape,
    write_star_shape,
)


def _test(dag: Any) -> None:
    states = task_states(register(dag).test())
    assert all(state == "success" for state, _ in states.values()), states


def test_star_schema_template_shape_under_airflow(airflow_db: Any, tmp_path: Path) -> None:
    project = write_star_shape(tmp_path)
    for name in ("shop_star_dims", "shop_star_facts"):
        _test(build_dags(project)[name])
    assert visits(tmp_path) == EXPECTED_VISITS


def test_scd2_template_shape_under_airflow(airflow_db: Any, tmp_path: Path) -> None:
    project = write_scd2_shape(tmp_path)
    _test(build_dags(project)["shop_members_members"])
    (tmp_path / "landing" / "members.csv").write_text(MEMBERS_LATER)
    _test(build_dags(project)["shop_members_members"])
    assert members(tmp_path) == EXPECTED_MEMBERS
