"""Odibi's SCD2 (``transformer: scd2``) run by Airflow (``dag.test()``) twice: history rows after a change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, task_states
from tests.engines.scd2_project import EXPECTED_HISTORY, SECOND, summary, write_scd2_project


def test_scd2_history_under_airflow(airflow_db: Any, tmp_path: Path) -> None:
    project = write_scd2_project(tmp_path, "parquet", "path: dim_customer")
    for _ in range(2):
        dag = build_dags(project)["customer_history_dimensions"]
        states = task_states(register(dag).test())
        assert all(state == "success" for state, _ in states.values()), states
        (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    assert summary(tmp_path, "parquet") == EXPECTED_HISTORY
