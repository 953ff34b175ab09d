"""Under Dagster the run story's header is right: ``running`` while steps write their nodes, then the run
status sensor's final summary counts every node, the ones a failure kept from running as skipped; a step
Dagster retried shows its attempts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import run_assets
from tests.story.headers import attempts, header, summary
from tests.story.story_project import story_project


def test_dagster_story_header_counts_failed_skipped_and_retried_nodes(tmp_path: Path) -> None:
    defs = build_definitions(story_project(tmp_path))
    with dg.instance_for_test() as instance:
        failed = run_assets(defs, instance=instance)
        assert not failed.success
        (run_dir,) = (tmp_path / "out" / "stories").iterdir()
        assert "story_demo running" in header(run_dir), "the steps ran; the run was not summarised yet"
        records = instance.get_records_for_run(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        context = dg.build_run_status_sensor_context(
            sensor_name="odibi_pipeline_error", dagster_event=records[0].event_log_entry.dagster_event,
            dagster_instance=instance, dagster_run=instance.get_run_by_id(failed.run_id)).for_run_failure()
        defs.resolve_sensor_def("odibi_pipeline_error")(context)
    assert summary(run_dir) == {"status": "failed", "completed": 3, "failed": 1, "skipped": 1, "nodes": 5}
    text = header(run_dir)
    assert "story_demo failed" in text and "3 completed 1 failed 1 skipped 5 node(s)" in text
    assert "Duration: –" not in text
    assert attempts(run_dir, "bronze.customers") == "2 of 3 (1 retry)"  # Dagster's retry, not the runner's
    assert attempts(run_dir, "silver.after_broken") == "0 (not run)"
