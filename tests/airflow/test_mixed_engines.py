"""The mixed-engine project (bronze on Spark, silver embedded, gold on Spark) through Airflow's
``dag.test()``: each node is its own task, frames cross engines through written datasets and the run's
intermediates, and the gold table matches the in-process, single-engine result."""

from __future__ import annotations

import pytest

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, task_states
from tests.fixtures.mixed_project import EXPECTED_GOLD, gold_rows, write_project

pytest.importorskip("pysail.spark", reason="the Sail Spark Connect server (dev extra) runs the Spark nodes")


def test_mixed_engines_under_airflow(airflow_db, tmp_path):
    from odibi_provider.engines.spark import configure_spark
    from tests.fixtures.sail import sail_spark_session

    configure_spark(session=sail_spark_session())
    dags = build_dags(write_project(tmp_path))
    assert list(dags) == ["mixed_bronze", "mixed_silver", "mixed_gold"]
    for dag in dags.values():
        dag_run = register(dag).test()
        states = task_states(dag_run)
        assert all(state == "success" for state, _ in states.values()), states
    assert gold_rows(tmp_path) == EXPECTED_GOLD
