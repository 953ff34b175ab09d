"""An Odibi-written project (Odibi-style functions, ``transformer:`` naming a project function) under Airflow."""

from __future__ import annotations

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, task_states
from tests.test_odibi_compat import check_outputs, write_compat


def test_odibi_style_functions_run_under_airflow(airflow_db, make_project):
    project = write_compat(make_project)
    dags = build_dags(project)
    states = task_states(register(dags["compat_p"]).test())
    assert len(states) == 3 and all(state == "success" for state, _ in states.values()), states
    check_outputs(project)
