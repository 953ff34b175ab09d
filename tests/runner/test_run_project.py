"""Running projects in-process: on_error semantics, hooks, retries, idempotent appends, resume, selection."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from odibi_provider.errors import OdibiError
from odibi_provider.hooks import HookManager
from odibi_provider.plan import compile_project
from odibi_provider.runner import RunContext, run_node, run_project

BRANCHES = """
project: branches
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {connection: out, path: stories}
system: {connection: out, path: _system}
pipelines:
  - pipeline: left
    layer: silver
    nodes:
      - name: load
        read: {connection: raw, format: csv, path: numbers.csv}
      - name: explode
        depends_on: [load]
        on_error: ON_ERROR
        transform: {steps: [{function: maybe_fail}]}
      - name: after_explode
        depends_on: [explode]
        write: {connection: out, format: csv, path: after.csv}
  - pipeline: right
    layer: gold
    nodes:
      - name: total
        read: {connection: raw, format: csv, path: numbers.csv}
        transform: {steps: ["SELECT sum(n) AS total FROM df"]}
        write: {connection: out, format: csv, path: total.csv}
      - name: doubled
        depends_on: [total]
        transform: {steps: ["SELECT total * 2 AS doubled FROM df"]}
        write: {connection: out, format: parquet, path: doubled.parquet}
"""
TRANSFORMS = """
from pathlib import Path
from odibi_provider import transform

FLAG = Path(__file__).parent / "fail.flag"


@transform
def maybe_fail(df, context=None):
    if FLAG.exists():
        raise RuntimeError("boom: " + FLAG.read_text())
    return df
"""
NUMBERS = "n\n1\n2\n3\n"


@pytest.fixture
def branches(make_project):
    def build(on_error: str = "fail_later", fail: bool = True) -> Path:
        files = {"transforms.py": TRANSFORMS, "data/numbers.csv": NUMBERS}
        if fail:
            files["fail.flag"] = "flagged"
        return make_project(BRANCHES.replace("ON_ERROR", on_error), files=files)

    return build


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_fail_later_skips_dependents_and_finishes_independent_branches(branches):
    project = branches("fail_later")
    run = run_project(project, workers=2)
    assert run.failed == ("left.explode",)
    assert run.skipped == ("left.after_explode",)
    assert set(run.completed) == {"left.load", "right.total", "right.doubled"}
    assert "boom: flagged" in run["left.explode"].error
    assert _read_csv(project.parent / "out" / "total.csv") == [{"total": "6"}]
    assert not (project.parent / "out" / "after.csv").exists()
    assert not run.ok


def test_fail_fast_stops_scheduling(branches):
    project = branches("fail_fast")
    run = run_project(project, workers=1, select="left right.total")
    assert run.failed == ("left.explode",)
    assert "left.after_explode" in run.skipped
    statuses = {r.node_id: r.status for r in run.results}
    assert statuses["right.total"] in ("success", "skipped")


def test_ignore_keeps_the_run_ok(branches):
    run = run_project(branches("ignore"), workers=2)
    assert run.failed == ("left.explode",) and run.ok


def test_a_raising_hook_never_fails_the_run_and_filters_select_events(branches):
    hooks = HookManager()
    seen: list[tuple[str, str | None]] = []

    @hooks.on("node_complete")
    def explode(event):
        raise RuntimeError("hook bug")

    @hooks.on("node_complete", filters={"layer": "gold"})
    def gold_only(event):
        seen.append((event.type.value, event.node))

    @hooks.on(["node_error", "node_skipped"], filters={"pipeline": "left"})
    def left_failures(event):
        seen.append((event.type.value, event.node))

    run = run_project(branches("fail_later"), hooks=hooks, workers=2)
    assert set(run.completed) == {"left.load", "right.total", "right.doubled"}
    assert sorted(seen) == [("node_complete", "right.doubled"), ("node_complete", "right.total"),
                            ("node_error", "left.explode"), ("node_skipped", "left.after_explode")]


def test_resume_reruns_only_what_did_not_succeed_under_the_same_run_id(branches):
    project = branches("fail_later")
    first = run_project(project, workers=2)
    (project.parent / "fail.flag").unlink()
    second = run_project(project, resume=True, workers=2)
    assert second.run_id == first.run_id
    assert [r.node_id for r in second.results] == ["left.explode", "left.after_explode"]
    assert second.ok and _read_csv(project.parent / "out" / "after.csv") == [{"n": "1"}, {"n": "2"}, {"n": "3"}]


def test_resume_without_a_previous_run_is_a_clear_error(branches):
    with pytest.raises(OdibiError, match="nothing to resume"):
        run_project(branches(fail=False), resume=True)


def test_selection_with_upstream(branches):
    run = run_project(branches(fail=False), select="+left.after_explode", workers=2)
    assert [r.node_id for r in run.results] == ["left.load", "left.explode", "left.after_explode"]


def test_selection_by_layer_and_unknown_selector(branches):
    project = branches(fail=False)
    assert set(run_project(project, select="layer:gold").completed) == {"right.total", "right.doubled"}
    with pytest.raises(OdibiError, match="did you mean 'right.total'"):
        run_project(project, select="right.totl")


def test_run_node_runs_exactly_one_node_reading_upstream_from_its_write(branches):
    project = branches(fail=False)
    plan = compile_project(project)
    assert run_node(plan, "right.total").status == "success"
    events = []
    hooks = HookManager()
    hooks.register("*", events.append)
    result = run_node(plan, "right.doubled", RunContext(plan=plan, hooks=hooks))
    assert result.status == "success" and result.rows_out == 1
    assert {e.node for e in events} == {"right.doubled"}


def test_run_node_without_upstream_output_says_how_to_fix(branches):
    plan = compile_project(branches(fail=False))
    result = run_node(plan, "left.explode")
    assert result.status == "failed"
    assert "include it in the selection ('+left.explode')" in result.error


APPEND = """
project: appends
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
pipelines:
  - pipeline: p
    nodes:
      - name: events
        read: {connection: raw, format: csv, path: numbers.csv}
        transform: {steps: [{function: flaky}]}
        retry: {max_attempts: 3, delay_seconds: 0}
        write: {connection: out, format: FORMAT, PATH, mode: append}
  - pipeline: q
    nodes:
      - name: back
        inputs: {e: $p.events}
"""
FLAKY = """
from pathlib import Path
from odibi_provider import transform

COUNTER = Path(__file__).parent / "calls.txt"


@transform
def flaky(df):
    calls = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(calls + 1))
    if calls == 0:
        raise ConnectionError("transient")
    return df
"""


@pytest.mark.parametrize(("fmt", "target"), [
    pytest.param("parquet", "path: events.parquet", id="parquet"),
    pytest.param("csv", "path: events.csv", id="csv"),
    pytest.param("delta", "path: events_delta", id="delta"),
    pytest.param("sql", "table: events", id="sqlite"),
])
def test_append_retried_three_times_for_one_run_leaves_each_row_once(make_project, fmt, target):
    text = APPEND.replace("FORMAT", fmt).replace("PATH", target)
    if fmt == "sql":
        text = text.replace("out: {type: local, base_path: out}", "out: {type: sql, url: 'sqlite:///out.db'}")
    project = make_project(text, files={"transforms.py": FLAKY, "data/numbers.csv": NUMBERS})
    plan = compile_project(project)
    ctx = RunContext(plan=plan, run_id="run-1")
    first = run_node(plan, "p.events", ctx)
    assert first.status == "success" and first.attempts == 2, "fails once, succeeds on the local retry"
    for _ in range(2):
        assert run_node(plan, "p.events", ctx).status == "success"
    readback = run_node(plan, "q.back", RunContext(plan=plan, run_id="run-2"))
    assert readback.rows_out == 3
    other_run = run_node(plan, "p.events", RunContext(plan=plan, run_id="run-3"))
    assert other_run.rows_written == 3
    assert run_node(plan, "q.back", RunContext(plan=plan, run_id="run-4")).rows_out == 6


def test_host_owned_retries_turn_off_local_retries(make_project):
    text = APPEND.replace("FORMAT", "parquet").replace("PATH", "path: e.parquet")
    plan = compile_project(make_project(text, files={"transforms.py": FLAKY, "data/numbers.csv": NUMBERS}))
    result = run_node(plan, "p.events", RunContext(plan=plan, retries="host"))
    assert result.status == "failed" and result.attempts == 1 and "transient" in result.error


INCREMENTAL = """
project: inc
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
pipelines:
  - pipeline: p
    nodes:
      - name: events
        read: {connection: raw, format: csv, path: events.csv, incremental: {column: ts}}
        write: {connection: out, format: parquet, path: events.parquet, mode: append}
"""


def test_incremental_reads_only_rows_past_the_mark(make_project):
    project = make_project(INCREMENTAL, files={"data/events.csv": "id,ts\n1,2026-01-01 10:00:00\n2,2026-01-02 10:00:00\n"})
    assert run_project(project)["p.events"].rows_written == 2
    with open(project.parent / "data" / "events.csv", "a", encoding="utf-8") as handle:
        handle.write("3,2026-01-03 10:00:00\n")
    second = run_project(project)
    assert second["p.events"].rows_written == 1, "only the row newer than the stored mark"
    assert run_project(project)["p.events"].rows_written == 0
