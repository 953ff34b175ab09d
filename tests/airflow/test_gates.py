"""Quality gates and contracts under real Airflow (``dag.test()``): a blocked gate or a broken contract fails
its task once (AirflowFailException, no retry), downstream is upstream_failed and nothing is written; the
gate_blocked event reaches hooks."""

from __future__ import annotations

import pytest

from odibi_provider.airflow import build_dag
from odibi_provider.hooks import HookManager
from tests.airflow.conftest import register, task_log, task_states

PROJECT = """
project: gates
connections:
  src: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
retry: {max_attempts: 3, backoff: constant, delay_seconds: 0}
system: {connection: lake, path: _state}
story: {enabled: false}
pipelines:
  - pipeline: p
    layer: silver
    nodes:
      - name: load
        read: {connection: src, format: csv, path: rows.csv}
        write: {connection: lake, format: parquet, path: load.parquet}
      - name: gated
        depends_on: [load]
        validation:
          tests: [{type: unique, columns: [id], on_fail: warn}]
          gate: {require_pass_rate: 0.9, on_fail: abort}
        write: {connection: lake, format: parquet, path: gated.parquet}
      - name: after_gate
        depends_on: [gated]
        write: {connection: lake, format: parquet, path: after_gate.parquet}
      - name: contracted
        depends_on: [load]
        contracts: [{type: row_count, name: enough, min: 100}]
        write: {connection: lake, format: parquet, path: contracted.parquet}
      - name: passing
        depends_on: [load]
        validation:
          tests: [{type: not_null, columns: [id]}]
          gate: {require_pass_rate: 0.9}
        write: {connection: lake, format: parquet, path: passing.parquet}
"""


@pytest.fixture(scope="module")
def gates_run(airflow_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("gates")
    (root / "data").mkdir()
    (root / "data" / "rows.csv").write_text("id,v\n1,a\n1,b\n2,c\n", encoding="utf-8")
    (root / "odibi.yaml").write_text(PROJECT, encoding="utf-8")
    hooks, events = HookManager(), []
    hooks.register("*", lambda event: events.append((event.type.value, event.node)))
    dag = register(build_dag(root, "p", hooks=hooks))
    with task_log(root / "task.log") as log:
        dag_run = dag.test()
    return dag, dag_run, root, log.read_text(encoding="utf-8"), events


def _state(dag_run, node: str) -> tuple[str, int]:
    """The task state of ``node`` (task ids may carry the layer as a group prefix)."""
    return next(state for task, state in task_states(dag_run).items() if task.rsplit(".", 1)[-1] == node)


def test_a_blocked_gate_fails_the_task_without_retries(gates_run):
    dag, dag_run, root, log, events = gates_run
    task = next(t for t in dag.task_dict.values() if t.task_id.rsplit(".", 1)[-1] == "gated")
    assert task.retries == 2
    assert _state(dag_run, "gated") == ("failed", 1) and _state(dag_run, "after_gate")[0] == "upstream_failed"
    assert "AirflowFailException" in log and "quality gate blocked the node: pass rate 33.3%" in log
    assert ("gate_blocked", "p.gated") in events
    assert not (root / "lake" / "gated.parquet").exists()


def test_a_broken_contract_fails_the_task_without_retries(gates_run):
    _, dag_run, root, log, _ = gates_run
    assert _state(dag_run, "contracted") == ("failed", 1)
    assert "contracts[0] 'enough' (row_count): row count 3 is below the minimum 100" in log
    assert not (root / "lake" / "contracted.parquet").exists()


def test_a_passing_gate_writes(gates_run):
    _, dag_run, root, _, _ = gates_run
    assert _state(dag_run, "passing") == ("success", 1)
    assert (root / "lake" / "passing.parquet").exists()
