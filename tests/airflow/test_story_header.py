"""Under Airflow (one task per node) the run story's header is right once the DAG run ends: every node
counted, the ones a failure kept from running as skipped, and a task Airflow retried shows its tries."""

from __future__ import annotations

from pathlib import Path

from odibi_provider.airflow import build_dag
from tests.airflow.conftest import register, run_state, task_states
from tests.story.headers import attempts, header, summary
from tests.story.story_project import story_project


def test_airflow_story_header_counts_failed_skipped_and_retried_nodes(airflow_db, tmp_path: Path) -> None:
    dag = register(build_dag(story_project(tmp_path, one_pipeline=True), "bronze"))
    dag_run = dag.test()
    assert run_state(dag_run) == "failed"
    states = task_states(dag_run)
    assert states["customers"] == ("success", 2) and states["after_broken"][0] == "upstream_failed"
    (run_dir,) = (tmp_path / "out" / "stories").iterdir()
    assert summary(run_dir) == {"status": "failed", "completed": 3, "failed": 1, "skipped": 1, "nodes": 5}
    text = header(run_dir)
    assert "story_demo failed" in text and "3 completed 1 failed 1 skipped 5 node(s)" in text
    assert attempts(run_dir, "bronze.customers") == "2 of 3 (1 retry)"  # Airflow's retry, not the runner's
