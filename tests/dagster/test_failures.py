"""Failures are per node: blocking checks stop downstream, RetryPolicy retries a flaky node, and a
re-execution from failure runs only what failed, finding the original run's intermediates."""

from __future__ import annotations

import dagster as dg

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import EventRecorder, run_assets, steps

FAIL_ONCE = """
from pathlib import Path
from odibi_provider import transform

FLAG = Path(__file__).parent / "failed_once.flag"


@transform
def fail_once(df, context=None):
    if not FLAG.exists():
        FLAG.write_text("x")
        raise RuntimeError("transient failure (first attempt)")
    return df
"""

PROJECT = """
project: failures
connections:
  raw: {{type: local, base_path: data}}
  lake: {{type: local, base_path: lake}}
retry: {{max_attempts: {attempts}, backoff: constant, delay_seconds: 0}}
pipelines:
  - pipeline: p
    nodes:
      - name: source
        read: {{connection: raw, format: csv, path: rows.csv}}
{source_extra}
      - name: checked
        depends_on: [source]
        validation:
          tests:
            - {{type: unique, columns: [id], on_fail: {on_fail}}}
        write: {{connection: lake, format: parquet, path: checked.parquet}}
      - name: after
        depends_on: [checked]
        write: {{connection: lake, format: parquet, path: after.parquet}}
"""
ROWS = "id,v\n1,a\n1,b\n2,c\n"


def _project(make_project, *, attempts: int = 2, on_fail: str = "fail", source_extra: str = "",
             rows: str = ROWS):
    text = PROJECT.format(attempts=attempts, on_fail=on_fail, source_extra=source_extra)
    return make_project(text, {"data/rows.csv": rows, "transforms.py": FAIL_ONCE})


def test_a_failing_blocking_check_stops_downstream(make_project):
    project = _project(make_project)
    recorder = EventRecorder()
    result = run_assets(build_definitions(project, hooks=recorder.hooks))
    assert not result.success
    assert steps(result) == ["p__source"] and steps(result, "STEP_FAILURE") == ["p__checked"]
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed, evaluation.metadata["failed_rows"].value) == ("unique_id", False, 2)
    assert recorder.nodes().count("p.checked") == 1  # a failing test is not retried
    assert "p.after" not in recorder.nodes()
    assert not (project.parent / "lake/checked.parquet").exists()


def test_a_warning_check_does_not_block(make_project):
    project = _project(make_project, on_fail="warn")
    result = run_assets(build_definitions(project))
    assert result.success and steps(result) == ["p__after", "p__checked", "p__source"]
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN


def test_a_flaky_node_succeeds_under_its_retry_policy(make_project):
    step = "        transform: {steps: [{function: fail_once}]}"
    project = _project(make_project, source_extra=step, rows="id,v\n1,a\n2,b\n")
    recorder = EventRecorder()
    result = run_assets(build_definitions(project, hooks=recorder.hooks))
    assert result.success
    assert recorder.nodes().count("p.source") == 2  # two Dagster attempts ...
    assert not recorder.nodes("node_retry")  # ... and no second retry layer inside the runner
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert [e.step_key for e in retried] == ["p__source"]


def test_a_deterministic_failure_is_not_retried(make_project):
    step = '        transform: {steps: ["SELECT no_such_column FROM df"]}'
    project = _project(make_project, attempts=3, source_extra=step)
    recorder = EventRecorder()
    result = run_assets(build_definitions(project, hooks=recorder.hooks))
    assert not result.success
    assert recorder.nodes().count("p.source") == 1  # the unknown column would fail every attempt
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_reexecution_from_failure_runs_only_the_failed_nodes(make_project):
    """``source`` has no write: ``checked`` reads its intermediate, kept under the root run id."""
    fail_step = "        transform: {steps: [{function: fail_once}]}"
    text = PROJECT.format(attempts=1, on_fail="fail", source_extra="").replace(
        "        depends_on: [source]\n", "        depends_on: [source]\n" + fail_step + "\n", 1)
    project = make_project(text, {"data/rows.csv": "id,v\n1,a\n2,b\n", "transforms.py": FAIL_ONCE})
    job = dg.build_reconstructable_job("tests.dagster.reexecution_target", "pipeline_job",
                                       reconstructable_args=(str(project), "p"))
    with dg.instance_for_test() as instance:
        first = dg.execute_job(job, instance=instance, raise_on_error=False)
        assert not first.success
        assert steps(first) == ["p__source"] and steps(first, "STEP_FAILURE") == ["p__checked"]
        options = dg.ReexecutionOptions.from_failure(first.run_id, instance)
        second = dg.execute_job(job, instance=instance, reexecution_options=options, raise_on_error=False)
        assert second.success, [e.message for e in second.all_events if e.event_type_value == "STEP_FAILURE"]
        assert steps(second) == ["p__after", "p__checked"]
        assert instance.get_run_by_id(second.run_id).root_run_id == first.run_id
    # the retry read what the first run kept: system storage defaults to .odibi/ under the project
    assert (project.parent / ".odibi" / "intermediate" / first.run_id / "p.source.parquet").is_file()


def test_without_retry_a_flaky_node_fails_once(make_project):
    step = "        transform: {steps: [{function: fail_once}]}"
    project = _project(make_project, attempts=1, source_extra=step, rows="id,v\n1,a\n2,b\n")
    result = run_assets(build_definitions(project))
    assert steps(result, "STEP_FAILURE") == ["p__source"]
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
