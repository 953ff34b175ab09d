"""Under Airflow, a hook that never returns or raises SystemExit neither hangs nor fails a task whose data
was written (tests/hooks/test_runaway_hooks.py covers the runner and Dagster)."""

from __future__ import annotations

import time

import pytest

from odibi_provider.airflow import build_dag
from tests.airflow.conftest import register, run_state, task_log, task_states, xcoms
from tests.fixtures.runaway_hooks import RunawayHooks, write_project


def test_tasks_succeed_when_hooks_hang_or_exit(airflow_db, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_HOOK_TIMEOUT", "0.5")
    root, runaway = write_project(tmp_path / "hooked"), RunawayHooks(SystemExit(2))
    try:
        dag = register(build_dag(root, "p", dag_id="odibi_runaway_hooks", hooks=runaway.manager()))
        started = time.monotonic()
        with task_log(tmp_path / "task.log") as log:
            dag_run = dag.test()
        elapsed = time.monotonic() - started
    finally:
        runaway.release.set()
    assert elapsed < 60, "the tasks waited for the hook"
    assert run_state(dag_run) == "success"
    assert {task: state for task, (state, _) in task_states(dag_run).items()} == {
        "load": "success", "total": "success"}
    assert xcoms(dag_run)[("total", "return_value")]["rows_written"] == 1
    assert (root / "out" / "total.csv").read_text().split() == ["total", "6"]
    assert runaway.completed() == ["p.load", "p.total"]
    text = log.read_text(encoding="utf-8")
    assert "did not return within 0.5s" in text and "SystemExit" in text
