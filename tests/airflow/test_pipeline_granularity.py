"""``granularity: pipeline`` under real Airflow (``dag.test()``): one task runs the whole pipeline, logs each
node, emits each dataset's Asset event with its extra, retries only what did not complete, and writes the
same tables as one task per node."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from odibi_provider.airflow import OdibiPipelineOperator, build_dag, build_dags
from odibi_provider.hooks import HookManager
from tests.airflow.conftest import register, run_state, task_states
from tests.fixtures.flaky_pipeline import FLAKY_TRANSFORM, ORDERS

PROJECT = """
project: grain_af
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
story: {connection: lake, path: stories}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: silver
    granularity: GRANULARITY
    nodes:
      - name: landed
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: lake, format: parquet, path: landed, mode: append}
      - name: cleaned
        depends_on: [landed]
        RETRY
        transform: {steps: [{function: flaky}, "SELECT id, amount * 2 AS amount FROM df"]}
      - name: totals
        depends_on: [cleaned]
        transform: {steps: ["SELECT count(*) AS n, sum(amount) AS total FROM df"]}
        write: {connection: lake, format: parquet, path: totals.parquet}
      - name: side
        read: {connection: raw, format: csv, path: orders.csv}
        transform: {steps: ["SELECT max(id) AS top FROM df"]}
        write: {connection: lake, format: csv, path: side.csv}
"""


def _project(root: Path, granularity: str = "pipeline", retry: str = "", flag: str | None = None) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    text = PROJECT.replace("GRANULARITY", granularity)
    (root / "odibi.yaml").write_text(text.replace("        RETRY\n", f"        {retry}\n" if retry else ""),
                                     encoding="utf-8")
    (root / "transforms.py").write_text(FLAKY_TRANSFORM, encoding="utf-8")
    if flag:
        (root / "fail.flag").write_text(flag, encoding="utf-8")
    return root


def _tables(root: Path) -> dict[str, object]:
    return {"landed": sorted(pd.read_parquet(root / "lake" / "landed")["id"].tolist()),
            "totals": pd.read_parquet(root / "lake" / "totals.parquet").to_dict("records"),
            "side": (root / "lake" / "side.csv").read_text(encoding="utf-8")}


def _recorder() -> tuple[HookManager, list[tuple[str, str | None]]]:
    hooks, events = HookManager(), []
    hooks.register("*", lambda event: events.append((event.type.value, event.node)))
    return hooks, events


def test_one_task_runs_the_pipeline_with_the_same_tables(airflow_db, tmp_path) -> None:
    by_node = _project(tmp_path / "node", "node")
    dag = register(build_dag(by_node, "silver"))
    assert run_state(dag.test()) == "success" and len(dag.tasks) == 4

    whole = _project(tmp_path / "pipeline")
    (dag,) = build_dags(whole).values()
    (task,) = dag.tasks
    assert isinstance(task, OdibiPipelineOperator) and task.task_id == "silver"
    assert len(task.outlets) == 3  # landed, totals, side: every dataset the pipeline writes
    dag_run = register(dag).test()
    assert run_state(dag_run) == "success"
    assert _tables(whole) == _tables(by_node)
    assert _tables(whole)["totals"] == [{"n": 3, "total": 120}]


def test_asset_events_carry_rows_status_and_story(airflow_db, tmp_path) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    root = _project(tmp_path / "p")
    dag = register(build_dag(root, "silver", dag_id="grain_events"))
    dag_run = dag.test()
    with create_session() as session:
        rows = session.execute(select(AssetModel.uri, AssetEvent.extra).join(AssetEvent.asset)
                               .where(AssetEvent.source_run_id == dag_run.run_id)).all()
    extras = {uri.rsplit("/", 1)[-1]: extra for uri, extra in rows}
    assert extras["totals.parquet"]["rows"] == 1 and extras["totals.parquet"]["status"] == "success"
    assert extras["landed"]["odibi_node"] == "silver.landed" and extras["landed"]["rows"] == 3
    assert extras["side.csv"]["story"]


def test_a_flaky_node_retries_in_place_without_rerunning_siblings(airflow_db, tmp_path) -> None:
    root = _project(tmp_path / "p", retry="retry: {max_attempts: 3, delay_seconds: 0, backoff: constant}",
                    flag="net:2")
    hooks, events = _recorder()
    dag_run = register(build_dag(root, "silver", dag_id="grain_flaky", hooks=hooks)).test()
    assert task_states(dag_run)["silver"] == ("success", 1)
    assert events.count(("node_start", "silver.landed")) == 1
    assert events.count(("node_retry", "silver.cleaned")) == 2
    assert _tables(root)["landed"] == [1, 2, 3]


def test_a_retried_task_finishes_only_the_nodes_left(airflow_db, tmp_path) -> None:
    root = _project(tmp_path / "p", flag="net:1")  # no node retry: the task's own retry takes over
    hooks, events = _recorder()
    dag = build_dag(root, "silver", dag_id="grain_task_retry", hooks=hooks,
                    operator_kwargs={"retries": 1, "retry_delay": 0})
    dag_run = register(dag).test()
    assert task_states(dag_run)["silver"] == ("success", 2)
    assert events.count(("node_start", "silver.landed")) == 1  # completed in try 1, not run in try 2
    assert events.count(("node_start", "silver.cleaned")) == 2
    assert _tables(root)["landed"] == [1, 2, 3] and _tables(root)["totals"] == [{"n": 3, "total": 120}]


def test_a_deterministic_failure_fails_the_task_without_retry(airflow_db, tmp_path) -> None:
    root = _project(tmp_path / "p", flag="bug:5")
    dag = build_dag(root, "silver", dag_id="grain_bug", operator_kwargs={"retries": 3, "retry_delay": 0})
    dag_run = register(dag).test()
    assert task_states(dag_run)["silver"] == ("failed", 1)
    assert (root / "lake" / "side.csv").exists()  # the independent sibling still completed


def test_granularity_value_is_checked(tmp_path) -> None:
    from odibi_provider.errors import OdibiError

    with pytest.raises(OdibiError, match="'node' or 'pipeline'"):
        build_dags(_project(tmp_path / "p"), granularity="dag")
