"""Quality gates, contracts, Odibi's validation settings and quarantine extras, run in-process: what a user
sees in the results, the events, and the files written (or not written)."""

from __future__ import annotations

import datetime as dt
import glob
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.hooks import HookManager
from odibi_provider.plan import load_plan
from odibi_provider.runner import run_project
from odibi_provider.runner.views import node_story
from odibi_provider.story.html import render_page
from odibi_provider.story.record import RunStory

ROWS = "id,amount,status,updated_at\n1,10,paid,2026-04-29 10:00:00\n2,-1,paid,2026-04-28 10:00:00\n" \
       "2,5,open,2026-04-27 10:00:00\n,7,paid,2026-04-26 10:00:00\n5,20,void,2026-04-25 10:00:00\n"


def project(make_project: Any, validation: str, *, extra: str = "", rows: str = ROWS,
            transforms: str = "") -> Path:
    text = f"""
    project: gates
    connections:
      raw: {{type: local, base_path: data}}
      out: {{type: local, base_path: out}}
    story: {{enabled: false}}
    system: {{connection: out, path: _system}}
    retry: {{max_attempts: 3, backoff: constant, delay_seconds: 0}}
    pipelines:
      - pipeline: p
        nodes:
          - name: orders
            read: {{connection: raw, format: csv, path: orders.csv}}
{extra}
            validation:
{validation}
            write: {{connection: out, format: parquet, path: orders}}
    """
    files = {"data/orders.csv": rows}
    if transforms:
        files["transforms.py"] = transforms
    return make_project(text, files=files)


def events(hooks: HookManager, kinds: list[str]) -> list[Any]:
    seen: list[Any] = []
    hooks.register(kinds, seen.append)
    return seen


QUARANTINE = """\
              tests:
                - {type: not_null, columns: [id], on_fail: quarantine}
                - {type: unique, columns: [id], on_fail: warn}
                - {type: range, column: amount, min: 0, on_fail: quarantine}
              quarantine: {connection: out, path: rejected}
"""


def written(root: Path, name: str) -> list[dict[str, Any]]:
    files = sorted(glob.glob(str(root / "out" / name / "**" / "*.parquet"), recursive=True))
    if not files and (root / "out" / name).is_file():
        files = [str(root / "out" / name)]
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def test_a_blocked_gate_fails_the_node_once_emits_the_event_and_writes_nothing(make_project: Any) -> None:
    path = project(make_project, QUARANTINE + """\
              gate:
                require_pass_rate: 0.95
                thresholds: [{test: not_null, min_pass_rate: 0.9}]
""")
    hooks = HookManager()
    seen = events(hooks, ["gate_blocked"])
    result = run_project(path, hooks=hooks)["p.orders"]
    assert (result.status, result.attempts, result.retryable) == ("failed", 1, False)
    assert "quality gate blocked the node: pass rate 66.7% (2 of 3 rows) is below the required 95.0%; test " \
           "'not_null' pass rate 80.0% is below the required 90.0%; nothing was written" in result.error
    assert result.gate is not None and not result.gate.passed and result.gate.on_fail == "abort"
    assert result.metadata()["gate"]["passed"] is False  # the XCom / host metadata view
    [event] = seen
    assert event.node == "p.orders" and event.details["pass_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert event.details["thresholds"] == {"not_null": 0.9} and event.details["action"] == "abort"
    assert not (path.parent / "out" / "orders").exists() and not (path.parent / "out" / "rejected").exists()
    story = node_story(result, run_id="r", project="gates")
    assert [(v["name"], v.get("stage", "test"), v["passed"]) for v in story.validation] == [
        ("not_null_id", "test", False), ("unique_id", "test", False), ("range_amount", "test", False),
        ("gate", "gate", False)]
    page = render_page(RunStory.from_nodes([story], run_id="r", project="gates"), [story])
    assert "<td>abort</td>" in page and "pass rate 66.7% (2 of 3 rows)" in page


def test_a_gate_without_tests_still_judges_the_batch(make_project: Any) -> None:
    path = project(make_project, "              gate: {row_count: {min: 10}}\n")
    result = run_project(path)["p.orders"]
    assert (result.status, result.retryable) == ("failed", False)
    assert "row count 5 is below the minimum 10" in result.error


def test_warn_and_write_writes_and_warns(make_project: Any) -> None:
    path = project(make_project, QUARANTINE + "              gate: {require_pass_rate: 0.95, on_fail: warn_and_write}\n")
    hooks = HookManager()
    seen = events(hooks, ["node_warning", "gate_blocked"])
    result = run_project(path, hooks=hooks)["p.orders"]
    assert result.status == "warning" and result.rows_written == 3
    assert [e.details["kind"] for e in seen] == ["gate"] and seen[0].details["rows_checked"] == 3
    assert sorted(r["id"] for r in written(path.parent, "orders")) == [1, 2, 5]


def test_write_valid_only_drops_the_rows_failing_any_test(make_project: Any) -> None:
    path = project(make_project, QUARANTINE + "              gate: {require_pass_rate: 0.95, on_fail: write_valid_only}\n")
    result = run_project(path)["p.orders"]
    assert result.status == "warning" and result.rows_written == 2
    assert sorted(r["id"] for r in written(path.parent, "orders")) == [1, 5]


MARKER = """
from pathlib import Path
from odibi_provider import transform


@transform
def mark(df):
    (Path(__file__).parent / "ran.txt").write_text("x")
    return df
"""


def test_a_broken_contract_stops_the_node_before_the_steps(make_project: Any) -> None:
    contracts = """\
            contracts:
              - {type: not_null, name: ids_present, columns: [id]}
              - {type: row_count, min: 1}
            transform: {steps: [{function: mark}]}"""
    path = project(make_project, "              tests: [{type: row_count, min: 1}]\n", extra=contracts,
                   transforms=MARKER)
    result = run_project(path)["p.orders"]
    assert (result.status, result.attempts, result.retryable) == ("failed", 1, False)
    assert "the input breaks its contract(s), so nothing ran and nothing was written: contracts[0] 'ids_present' " \
           "(not_null): 1 row has nulls in id" in result.error
    assert not (path.parent / "ran.txt").exists() and not (path.parent / "out" / "orders").exists()
    assert [(c.name, c.passed) for c in result.contracts] == [("ids_present", False), ("row_count", True)]


def test_a_warning_contract_lets_the_input_through_and_is_recorded(make_project: Any) -> None:
    contracts = "            contracts: [{type: not_null, name: ids_present, columns: [id], on_fail: warn}]"
    path = project(make_project, "              tests: [{type: row_count, min: 1}]\n", extra=contracts)
    result = run_project(path)["p.orders"]
    assert result.status == "warning" and result.rows_written == 5
    assert [(c.name, c.passed, c.failed_rows) for c in result.contracts] == [("ids_present", False, 1)]
    story = node_story(result, run_id="r", project="gates")
    assert [(v["name"], v.get("stage", "test")) for v in story.validation] == [("ids_present", "contract"),
                                                                                ("row_count", "test")]


def test_volume_drop_compares_with_earlier_successful_runs(make_project: Any) -> None:
    path = project(make_project, "              tests: [{type: volume_drop, threshold: 0.5}]\n")
    assert run_project(path)["p.orders"].status == "success"
    (path.parent / "data" / "orders.csv").write_text("id,amount,status,updated_at\n1,1,paid,2026-04-29\n")
    result = run_project(path)["p.orders"]
    assert (result.status, result.retryable) == ("failed", False)
    assert "row count 1 is 80.0% below the 7-day average 5 (more than the allowed 50% drop)" in result.error


def test_freshness_uses_the_logical_time(make_project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project(make_project, "              tests: [{type: freshness, max_age: 24h}]\n")
    monkeypatch.setenv("ODIBI_LOGICAL_TIME", "2026-04-30T00:00:00+00:00")
    assert run_project(path)["p.orders"].status == "success"
    monkeypatch.setenv("ODIBI_LOGICAL_TIME", "2026-05-03T00:00:00+00:00")
    result = run_project(path)["p.orders"]
    assert result.status == "failed" and "is older than 24h before 2026-05-03 00:00:00 UTC" in result.error


def test_mode_warn_and_on_fail_ignore(make_project: Any) -> None:
    path = project(make_project, """\
              mode: warn
              on_fail: ignore
              tests: [{type: unique, columns: [id]}]
""")
    hooks = HookManager()
    seen = events(hooks, ["validation_failed"])
    result = run_project(path, hooks=hooks)["p.orders"]
    assert result.status == "warning" and result.rows_written == 5 and not result.tests[0].passed
    assert seen == []


def test_quarantine_columns_cap_and_retention(make_project: Any) -> None:
    path = project(make_project, """\
              tests:
                - {type: range, column: amount, min: 0, max: 9, on_fail: quarantine}
              quarantine:
                connection: out
                path: rejected.parquet
                format: parquet
                add_columns: {_rejection_reason: true, _rejected_at: true, failed_tests: true}
                max_rows: 1
                retention_days: 30
""")
    old = {"id": [9], "amount": [99], "status": ["x"], "updated_at": [dt.datetime(2026, 1, 1)],
           "_rejection_reason": ["Failed: old"], "_rejected_at": ["2000-01-01T00:00:00+00:00"],
           "_failed_tests": ["old"]}
    (path.parent / "out").mkdir()
    pq.write_table(pa.table(old), path.parent / "out" / "rejected.parquet")
    result = run_project(path)["p.orders"]
    assert result.status == "warning" and result.quarantined_rows == 3
    rows = pq.read_table(path.parent / "out" / "rejected.parquet").to_pylist()
    assert len(rows) == 1 and rows[0]["_rejection_reason"] == "Failed: range_amount"
    assert rows[0]["_failed_tests"] == "range_amount" and rows[0]["_rejected_at"] > "2026"
    assert list(rows[0]) == ["id", "amount", "status", "updated_at", "_rejection_reason", "_rejected_at",
                             "_failed_tests"]


@pytest.mark.parametrize(("validation", "extra", "message"), [
    pytest.param("              tests: []\n              quarantine: {connection: out, path: q, add_columns: [_why]}\n",
                 "", "unknown quarantine column '_why'", id="unknown quarantine column"),
    pytest.param("              tests: []\n              quarantine: {connection: out, path: q, retention_days: 3}\n",
                 "", "'retention_days' prunes by the _rejected_at column", id="retention without timestamp"),
    pytest.param("              tests: []\n",
                 "            contracts: [{type: not_null, columns: [id], on_fail: quarantine}]",
                 "a contract stops the node or warns; it cannot quarantine rows", id="quarantining contract"),
    pytest.param("              tests: [{type: freshness, max_age: 3 dayz}]\n", "", "max_age",
                 id="malformed max_age"),
    pytest.param("              gate: {on_fail: explode}\n", "", "on_fail", id="unknown gate action"),
    pytest.param("              fail_fast: true\n              tests: []\n", "", "every test is counted in one scan",
                 id="fail_fast"),
])
def test_settings_are_checked_at_validate(make_project: Any, validation: str, extra: str, message: str) -> None:
    path = project(make_project, validation, extra=extra)
    with pytest.raises(ProjectError, match=message) as caught:
        load_plan(path)
    assert "odibi.yaml:" in str(caught.value)
