"""One task per node under real Airflow: retries, validation failures, on_error, connections and masking."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import quote

import pytest

from odibi_provider.airflow import build_dag, build_dags
from odibi_provider.hooks import HookManager
from tests.airflow.conftest import register, run_state, task_log, task_states, xcoms

CHECKS = """
project: checks
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {connection: out, path: stories}
system: {connection: out, path: _system}
retry: {max_attempts: 3, backoff: constant, delay_seconds: 0}
vars: {day: none}
pipelines:
  - pipeline: p
    layer: silver
    nodes:
      - name: load
        read: {connection: raw, format: csv, path: numbers.csv}
        transform: {steps: [{function: flaky}, "SELECT *, '${vars.day}' AS day FROM df"]}
        validation: {tests: [{type: accepted_values, column: n, values: [1, 2, 3], on_fail: warn}]}
        write: {connection: out, format: parquet, path: load.parquet}
      - name: strict
        depends_on: [load]
        validation: {tests: [{type: accepted_values, column: n, values: [1, 2], on_fail: fail}]}
        write: {connection: out, format: csv, path: strict.csv}
      - name: after
        depends_on: [strict]
        write: {connection: out, format: csv, path: after.csv}
      - name: optional
        depends_on: [load]
        on_error: ignore
        transform: {steps: [{function: explode}]}
      - name: typo
        depends_on: [load]
        transform: {steps: ["SELECT no_such_column FROM df"]}
      - name: doubled
        depends_on: [load]
        transform: {steps: ["SELECT n * 2 AS n FROM df"]}
      - name: total
        depends_on: [doubled]
        transform: {steps: ["SELECT sum(n) AS total FROM df"]}
        write: {connection: out, format: csv, path: total.csv}
"""
TRANSFORMS = """
from pathlib import Path
from odibi_provider import transform

FLAG = Path(__file__).parent / "fail-once.flag"


@transform
def flaky(df, context=None):
    if FLAG.exists():
        FLAG.unlink()
        raise RuntimeError("transient failure")
    return df


@transform
def explode(df, context=None):
    raise RuntimeError("optional node broke")
"""


@pytest.fixture(scope="module")
def checks_run(airflow_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("checks")
    (root / "data").mkdir()
    (root / "data" / "numbers.csv").write_text("n\n1\n2\n3\n4\n", encoding="utf-8")
    (root / "odibi.yaml").write_text(CHECKS, encoding="utf-8")
    (root / "transforms.py").write_text(TRANSFORMS, encoding="utf-8")
    (root / "fail-once.flag").write_text("x", encoding="utf-8")
    hooks, events = HookManager(), []
    hooks.register("*", lambda event: events.append((event.type.value, event.node)))
    dag = register(build_dag(root, "p", vars={"day": "{{ ds }}"}, hooks=hooks))
    with task_log(root / "task.log") as log:
        dag_run = dag.test()
    return dag, dag_run, root, log.read_text(encoding="utf-8"), events


def test_a_task_that_fails_once_succeeds_on_its_retry(checks_run):
    dag, dag_run, _, _, _ = checks_run
    assert dag.task_dict["load"].retries == 2
    assert task_states(dag_run)["load"] == ("success", 2), "Airflow retried; the runner did not"


def test_a_fail_validation_fails_the_task_without_retries(checks_run):
    _, dag_run, _, log, _ = checks_run
    states = task_states(dag_run)
    assert states["strict"] == ("failed", 1)
    assert "AirflowFailException" in log and "validation failed: accepted_values_n" in log
    assert states["after"][0] == "upstream_failed"
    assert run_state(dag_run) == "failed"


def test_a_deterministic_failure_is_not_retried(checks_run):
    _, dag_run, _, log, _ = checks_run
    assert task_states(dag_run)["typo"] == ("failed", 1), "an unknown column fails the same way on retry"
    assert "failed (will fail again on retry: not retried)" in log and "no_such_column" in log


def test_on_error_ignore_skips_instead_of_failing(checks_run):
    _, dag_run, _, _, _ = checks_run
    assert task_states(dag_run)["optional"][0] == "skipped"


def test_warn_logs_the_story_path_is_logged_and_vars_take_the_logical_date(checks_run):
    import pyarrow.parquet as pq

    _, dag_run, root, log, _ = checks_run
    assert "validation 'accepted_values_n' (accepted_values, on_fail: warn) failed on 1 rows" in log
    assert "odibi story: " in log and "/nodes/p.load.json" in log
    days = {row["day"] for row in pq.read_table(root / "out" / "load.parquet").to_pylist()}
    assert days == {dag_run.logical_date.strftime("%Y-%m-%d")}


def test_a_node_without_write_hands_over_through_the_runs_intermediate(checks_run):
    _, dag_run, root, _, _ = checks_run
    assert task_states(dag_run)["total"][0] == "success"
    assert (root / "out" / "total.csv").read_text().split() == ["total", "20"]
    assert len(list((root / "out" / "_system" / "intermediate").glob("*/p.doubled.parquet"))) == 1


def test_hooks_fire_under_airflow(checks_run):
    _, _, _, _, events = checks_run
    assert ("node_retry", "p.load") not in events, "Airflow owns retries"
    assert {("node_error", "p.load"), ("node_complete", "p.load"), ("validation_failed", "p.strict"),
            ("node_error", "p.strict")} <= set(events)


WAREHOUSE = """
project: secrets
connections:
  raw: {type: local, base_path: data}
  wh: {type: sql, url: "sqlite:///${env:WH_PATH}", airflow_conn_id: odibi_warehouse}
pipelines:
  - pipeline: load
    nodes:
      - name: numbers
        read: {connection: raw, format: csv, path: numbers.csv}
        transform: {steps: [{function: chatty}]}
        write: {connection: wh, format: sql, table: numbers}
"""
CHATTY = """
import logging, os
from urllib.parse import quote
from odibi_provider import transform


@transform
def chatty(df, context=None):
    secret = os.environ["LEAKED_BY_USER_CODE"]
    logging.getLogger("user.code").warning("debug dump: token=%s url=sqlite://etl:%s@x", secret, quote(secret, safe=""))
    return df
"""
SECRET = "Sup3r/S3cret@Pa55word"




def test_airflow_connection_credentials_are_used_masked_and_kept_out_of_xcom(airflow_db, tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "numbers.csv").write_text("n\n1\n2\n", encoding="utf-8")
    (tmp_path / "odibi.yaml").write_text(WAREHOUSE, encoding="utf-8")
    (tmp_path / "transforms.py").write_text(CHATTY, encoding="utf-8")
    database = tmp_path / "warehouse.db"
    monkeypatch.setenv("AIRFLOW_CONN_ODIBI_WAREHOUSE", json.dumps(
        {"conn_type": "sqlite", "schema": str(database), "login": "etl", "password": SECRET}))
    monkeypatch.setenv("LEAKED_BY_USER_CODE", SECRET)
    with task_log(tmp_path / "task.log") as path:
        dag_run = register(build_dag(tmp_path, "load")).test()
    assert task_states(dag_run)["numbers"][0] == "success"
    with sqlite3.connect(database) as con:
        assert con.execute("SELECT count(*) FROM numbers").fetchone() == (2,), "the path came from Airflow"
    log = path.read_text(encoding="utf-8")
    assert "debug dump: token=*** url=sqlite://etl:***@x" in log, "the raw and the URL-quoted secret are masked"
    assert SECRET not in log and quote(SECRET, safe="") not in log
    assert "odibi connection 'wh' takes its settings from Airflow connection 'odibi_warehouse'" in log
    assert SECRET not in json.dumps(list(xcoms(dag_run).items()), default=str)
    assert not any(SECRET in p.read_text() for p in (tmp_path / "stories").rglob("*") if p.is_file())


def test_any_generated_project_runs_through_dag_test(airflow_db, tmp_path):
    from benchmarks.generate import write_project

    project = write_project(tmp_path, 9)
    for i in range(3):
        (tmp_path / "data" / "in").mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / "in" / f"t{i}.csv").write_text("id,v\n1,a\n2,b\n2,b\n", encoding="utf-8")
    dags = build_dags(project)
    assert list(dags) == ["generated_bronze_0", "generated_silver_0", "generated_gold_0"]
    for dag in dags.values():
        dag_run = register(dag).test()
        assert run_state(dag_run) == "success", task_states(dag_run)
    assert sorted(p.name for p in (tmp_path / "lake" / "gold").iterdir()) == ["t0.parquet", "t1.parquet",
                                                                              "t2.parquet"]
