"""A project whose name is free text: DAG ids use its slug, a DagBag loads the DAG file, dag.test() runs it."""

from __future__ import annotations

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, run_state, task_states
from tests.fixtures import free_text_project as fx

DAG_FILE = """
from odibi_provider.airflow import build_dags
globals().update(build_dags({project!r}))
"""


def test_free_text_project_loads_in_a_dagbag_and_runs(airflow_db, tmp_path):
    from airflow.dag_processing.dagbag import DagBag

    project = fx.write(tmp_path / "project")
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "sales.py").write_text(DAG_FILE.format(project=str(project)), encoding="utf-8")
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {f"{fx.SLUG}_bronze"}

    dag_run = register(build_dags(project)[f"{fx.SLUG}_bronze"]).test()
    assert run_state(dag_run) == "success", task_states(dag_run)
    assert (tmp_path / "project" / "lake" / "total.csv").read_text().split() == ["total", "30"]
    assert fx.story_titles(tmp_path / "project") == {fx.NAME}
