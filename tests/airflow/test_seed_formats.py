"""The seed formats under Airflow's ``dag.test()``: the odibi_de_v2 sales project (a DAG per layer, linked by
the layers' order) and the ODIBI CORE medallion step list run task by task."""

from __future__ import annotations

import pytest

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, task_states
from tests.importers.seed_projects import GOLD_DAILY, GOLD_QAT, example_2, gold, gold_daily, write_de_v2, write_steps

pytest.importorskip("duckdb")


def test_de_v2_sales_project_under_airflow(airflow_db, tmp_path, monkeypatch):
    monkeypatch.chdir(write_de_v2(tmp_path))
    dags = build_dags(tmp_path)
    assert list(dags) == ["sales_analytics_bronze", "sales_analytics_silver", "sales_analytics_gold"]
    for dag in dags.values():
        states = task_states(register(dag).test())
        assert all(state == "success" for state, _ in states.values()), states
    assert gold(tmp_path) == GOLD_QAT


def test_core_medallion_under_airflow(airflow_db, tmp_path):
    [dag] = build_dags(write_steps(tmp_path, example_2(), "db")).values()
    states = task_states(register(dag).test())
    assert len(states) == 7 and all(state == "success" for state, _ in states.values()), states
    assert gold_daily(tmp_path) == GOLD_DAILY


def test_a_project_built_in_python_under_airflow(airflow_db, tmp_path, monkeypatch):
    from odibi_provider import config as c

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.csv").write_text("id,amount\n1,50\n2,150\n3,300\n")
    project = c.ProjectConfig(project="mvp_sales", connections={"local": c.LocalConnection(type="local")},
                              pipelines=[c.PipelineConfig(pipeline="sales_etl", nodes=[
                                  c.NodeConfig(name="load_sales", read=c.ReadConfig(
                                      connection="local", format="csv", path="data/sales.csv")),
                                  c.NodeConfig(name="big_sales", depends_on=["load_sales"],
                                               transform=c.TransformConfig(steps=["SELECT * FROM df WHERE amount >= 100"]),
                                               write=c.WriteConfig(connection="local", format="parquet",
                                                                   path="out/big_sales.parquet"))])])
    [dag] = build_dags(project).values()
    states = task_states(register(dag).test())
    assert all(state == "success" for state, _ in states.values()), states
    import pandas as pd

    assert sorted(pd.read_parquet(tmp_path / "out" / "big_sales.parquet")["id"]) == [2, 3]
