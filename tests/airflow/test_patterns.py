"""The star schema of Odibi's dimensional patterns run by Airflow (``dag.test()``), one task per node."""

from __future__ import annotations

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, task_states
from tests.patterns.star_project import EXPECTED_FACT_KEYS, star_outputs, write_star


def test_star_schema_runs_under_airflow(airflow_db, tmp_path):
    dags = build_dags(write_star(tmp_path))
    assert list(dags) == ["star_star"]
    states = task_states(register(dags["star_star"]).test())
    assert len(states) == 5 and all(state == "success" for state, _ in states.values()), states
    customers, facts = star_outputs(tmp_path)
    assert customers == [(0, -1), (1, 1), (2, 2), (3, 3)]
    assert facts == EXPECTED_FACT_KEYS
