"""Odibi's ``detect_deletes`` (snapshot_diff, soft delete) run by Airflow (``dag.test()``) twice: the second
run flags the row missing from the source in the node's Delta target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, task_states
from tests.engines.test_detect_deletes import SECOND, _project, _target


def test_detect_deletes_soft_delete_under_airflow(airflow_db: Any, tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]")
    for _ in range(2):
        states = task_states(register(build_dags(project)["deletes_silver"]).test())
        assert all(state == "success" for state, _ in states.values()), states
        (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    assert [(r["customer_id"], r["_is_deleted"]) for r in _target(tmp_path)] == [
        (1, False), (2, False), (3, True), (4, False)]
