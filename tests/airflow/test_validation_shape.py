"""Odibi's validation_pipeline shape (own data) under Airflow (``dag.test()``): the same valid and quarantined
rows as in-process; the passing gate's task succeeds, the blocked gate's task fails once (not retried) and
writes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from odibi_provider.airflow import build_dags
from odibi_provider.hooks import HookManager
from tests.airflow.conftest import register, task_log, task_states
from tests.runner.validation_shape import GATE_BLOCKED, LOGICAL_TIME, check, write_project


def test_the_validation_pipeline_shape_under_airflow(airflow_db: None, tmp_path: Path) -> None:
    hooks, blocked = HookManager(), []
    hooks.register("gate_blocked", lambda event: blocked.append(event.node))
    (dag,) = build_dags(write_project(tmp_path), hooks=hooks).values()
    register(dag)
    with task_log(tmp_path / "task.log") as log:
        dag_run = dag.test(logical_date=datetime.fromisoformat(LOGICAL_TIME))  # freshness is judged then
    states = {task.rsplit(".", 1)[-1]: state for task, state in task_states(dag_run).items()}
    assert states == {"customers": ("success", 1), "strict": ("failed", 1)}
    assert GATE_BLOCKED in log.read_text(encoding="utf-8") and blocked == ["p.strict"]
    check(tmp_path)
