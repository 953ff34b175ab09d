"""``granularity: pipeline`` under Dagster: one step per pipeline that still reports every node (asset
materializations and checks as each node finishes), retries only what did not complete, and gives the same
tables as node granularity and as ``run_project``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from odibi_provider.dagster import build_definitions
from odibi_provider.runner import run_project
from tests.dagster.conftest import EventRecorder, run_assets, steps
from tests.fixtures.flaky_pipeline import FLAKY_TRANSFORM, ORDERS

PROJECT = """
project: grain
granularity: GRANULARITY
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
story: {connection: lake, path: stories}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: silver
    nodes:
      - name: landed
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: lake, format: parquet, path: landed, mode: append}
      - name: cleaned
        depends_on: [landed]
        RETRY
        transform: {steps: [{function: flaky}, "SELECT id, amount * 2 AS amount FROM df"]}
        validation:
          tests:
            - {type: not_null, columns: [id], on_fail: fail}
            - {type: row_count, min: 100, on_fail: warn}
      - name: totals
        depends_on: [cleaned]
        transform: {steps: ["SELECT count(*) AS n, sum(amount) AS total FROM df"]}
        write: {connection: lake, format: parquet, path: totals.parquet}
      - name: slow_side
        transform: {steps: [{function: slow}]}
        write: {connection: lake, format: parquet, path: side.parquet}
      - name: gated
        depends_on: [landed]
        on_error: fail_later
        transform: {steps: ["SELECT CASE WHEN id = 2 THEN NULL ELSE id END AS id FROM df"]}
        validation:
          tests:
            - {type: not_null, columns: [id], on_fail: fail}
      - name: after_gate
        depends_on: [gated]
        write: {connection: lake, format: parquet, path: after_gate.parquet}
"""
SLOW_TRANSFORM = """

import time

import pandas as pd


@transform
def slow(df=None, context=None):
    time.sleep(1.5)
    return pd.DataFrame({"k": [1]})
"""


def _project(make_project, granularity: str = "pipeline", retry: str = "") -> Path:
    text = PROJECT.replace("GRANULARITY", granularity).replace("        RETRY\n", f"        {retry}\n" if retry else "")
    return make_project(text, {"data/orders.csv": ORDERS, "transforms.py": FLAKY_TRANSFORM + SLOW_TRANSFORM})


def _tables(project: Path) -> dict[str, list]:
    lake = project.parent / "lake"
    return {
        "landed": sorted(pd.read_parquet(lake / "landed")["id"].tolist()),
        "totals": pd.read_parquet(lake / "totals.parquet").to_dict("records"),
        "side": pd.read_parquet(lake / "side.parquet")["k"].tolist(),
    }


def test_one_step_per_pipeline_reports_every_node(make_project) -> None:
    project = _project(make_project)
    defs = build_definitions(project)
    specs = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys() if key.path[0] != "source"}
    assert specs == {f"silver/{n}" for n in ("landed", "cleaned", "totals", "slow_side", "gated", "after_gate")}
    result = run_assets(defs)
    assert not result.success  # the blocking check on `gated`
    assert steps(result) == [] and steps(result, "STEP_FAILURE") == ["silver"]  # one step
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"silver/landed", "silver/cleaned", "silver/totals", "silver/slow_side"}
    checks = {(e.asset_check_key.asset_key.to_user_string(), e.asset_check_key.name.split("_")[0]): e.passed
              for e in (ev.event_specific_data for ev in result.all_events
                        if ev.event_type_value == "ASSET_CHECK_EVALUATION")}
    assert checks == {("silver/cleaned", "not"): True, ("silver/cleaned", "row"): False,
                      ("silver/gated", "not"): False}
    # the blocking check stopped only `gated`'s descendant; its siblings completed
    assert not (project.parent / "lake" / "after_gate.parquet").exists()
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    description = failure.step_failure_data.user_failure_data.description
    assert "silver.gated" in description and "silver.totals" not in description


def test_materializations_stream_while_the_step_runs(make_project) -> None:
    project = _project(make_project)
    recorder = EventRecorder()
    with dg.instance_for_test() as instance:
        result = run_assets(build_definitions(project, hooks=recorder.hooks), instance=instance)
        logs = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    slow_done = next(e.timestamp for e in recorder.events
                     if e.type.value == "node_complete" and e.node == "silver.slow_side")
    landed = next(entry.timestamp for entry in logs
                  if entry.dagster_event.asset_key.to_user_string() == "silver/landed")
    assert landed < slow_done - 0.5  # `landed` was reported while its slow sibling was still running


def test_same_tables_in_both_granularities_and_in_process(make_project) -> None:
    outputs = []
    for granularity in ("node", "pipeline"):
        project = _project(make_project, granularity)
        run_assets(build_definitions(project))
        outputs.append(_tables(project))
    project = _project(make_project)
    run_project(project)
    outputs.append(_tables(project))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0]["totals"] == [{"n": 3, "total": 120}]


def test_a_flaky_node_is_retried_without_rerunning_its_siblings(make_project) -> None:
    project = _project(make_project, retry="retry: {max_attempts: 3, delay_seconds: 0, backoff: constant}")
    (project.parent / "fail.flag").write_text("net:2")  # fails twice, then succeeds
    recorder = EventRecorder()
    result = run_assets(build_definitions(project, hooks=recorder.hooks))
    starts = recorder.nodes("node_start")
    assert starts.count("silver.landed") == 1 and starts.count("silver.cleaned") == 1
    assert len([e for e in recorder.events if e.type.value == "node_retry"]) == 2
    assert _tables(project)["landed"] == [1, 2, 3]  # the append ran once
    cleaned = next(e for e in result.get_asset_materialization_events()
                   if e.asset_key.to_user_string() == "silver/cleaned")
    assert cleaned.materialization.metadata["odibi/attempt"].value == 3


def test_reexecution_from_failure_runs_only_the_nodes_left(make_project) -> None:
    project = _project(make_project)
    (project.parent / "fail.flag").write_text("net:1")  # cleaned fails once, no retry
    job = dg.build_reconstructable_job("tests.dagster.reexecution_target", "pipeline_job",
                                       reconstructable_args=(str(project), "silver"))
    recorder_file = project.parent / "lake" / "landed"
    with dg.instance_for_test() as instance:
        first = dg.execute_job(job, instance=instance, raise_on_error=False)
        assert not first.success
        done_first = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
        assert "silver/landed" in done_first and "silver/cleaned" not in done_first
        options = dg.ReexecutionOptions.from_failure(first.run_id, instance)
        second = dg.execute_job(job, instance=instance, reexecution_options=options, raise_on_error=False)
        done_second = {e.asset_key.to_user_string() for e in second.get_asset_materialization_events()}
    assert {"silver/cleaned", "silver/totals"} <= done_second
    assert "silver/landed" not in done_second and "silver/slow_side" not in done_second
    assert len(list(recorder_file.glob("*.parquet"))) == 1  # the append was not repeated
    assert _tables(project)["totals"] == [{"n": 3, "total": 120}]


@pytest.mark.parametrize("override", ["pipeline", "node"])
def test_build_definitions_granularity_overrides_the_project(make_project, override: str) -> None:
    project = _project(make_project, "pipeline" if override == "node" else "node")
    defs = build_definitions(project, granularity=override)
    ops = {node.name for node in defs.resolve_implicit_global_asset_job_def().graph.node_defs}
    assert ops == ({"silver"} if override == "pipeline" else
                   {f"silver__{n}" for n in ("landed", "cleaned", "totals", "slow_side", "gated", "after_gate")})


def test_granularity_is_validated(make_project) -> None:
    from odibi_provider.errors import ProjectError

    with pytest.raises(ProjectError, match="granularity"):
        build_definitions(_project(make_project, "nodes"))
