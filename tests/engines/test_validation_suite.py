"""Odibi's validation suite on the embedded engine and on Spark (Sail), on the same data: the new test types
(freshness, volume_drop, schema, distribution, custom_sql threshold), the gate's count of rows failing any
test, and quarantine rows with Odibi's metadata columns. Both engines must give the same outcomes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from odibi_provider.engines.base import ValidationOutcome
from odibi_provider.engines.sql.quarantine import quarantine_query, retention_query
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import GateSpec
from odibi_provider.plan.model import TestSpec as Spec
from odibi_provider.runner.gates import evaluate_gate
from tests.engines.conftest import spark_engine
from tests.engines.test_engine_parity import embedded, frame, rows  # noqa: F401 (fixture)

DATA = {"id": [1, 2, 2, None, 5], "amount": [10.0, -1.0, 5.0, None, 20.0],
        "status": ["paid", "open", "void", "paid", "paid"],
        "updated_at": [dt.datetime(2026, 4, 29, 10), dt.datetime(2026, 4, 1), None, dt.datetime(2026, 4, 28),
                       dt.datetime(2026, 4, 20)],
        "created_at": [dt.datetime(2026, 4, 1), dt.datetime(2026, 4, 2), dt.datetime(2026, 4, 3),
                       dt.datetime(2026, 4, 30), dt.datetime(2026, 4, 5)]}
AS_OF = "2026-04-30T00:00:00+00:00"


@pytest.fixture(scope="module")
def sail(sail_session: Any) -> Any:
    return spark_engine(sail_session)


@pytest.fixture(params=["embedded", "sail"])
def engine(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def spec(kind: str, name: str = "t", on_fail: str = "fail", **args: Any) -> Spec:
    return Spec(type=kind, name=name, on_fail=on_fail, args=FrozenMap(args))


CASES = [
    pytest.param(spec("freshness", column="updated_at", max_age="24h", as_of=AS_OF), True,
                 "the newest updated_at (2026-04-29 10:00:00) is within 24h before 2026-04-30 00:00:00 UTC",
                 id="freshness fresh"),
    pytest.param(spec("freshness", column="updated_at", max_age="12h", as_of=AS_OF), False,
                 "the newest updated_at (2026-04-29 10:00:00) is older than 12h before 2026-04-30 00:00:00 UTC",
                 id="freshness stale"),
    pytest.param(spec("freshness", column="updated_at", max_age="3d", as_of="2026-05-02T00:00:00+02:00"), True,
                 "the newest updated_at (2026-04-29 10:00:00) is within 3d before 2026-05-01 22:00:00 UTC",
                 id="freshness days, aware logical time"),
    pytest.param(spec("volume_drop", threshold=0.5, lookback_days=7, average=8.0), True,
                 "row count 5 is 37.5% below the 7-day average 8 (within the allowed 50% drop)", id="volume ok"),
    pytest.param(spec("volume_drop", threshold=0.3, lookback_days=7, average=8.0), False,
                 "row count 5 is 37.5% below the 7-day average 8 (more than the allowed 30% drop)",
                 id="volume dropped"),
    pytest.param(spec("volume_drop", threshold=0.5, lookback_days=3), True,
                 "no successful run in the last 3 day(s) to compare the row count 5 with", id="volume no history"),
    pytest.param(spec("schema", strict=True, columns=["id", "amount", "status", "updated_at", "created_at"]), True,
                 "schema (strict) matches 5 expected column(s)", id="schema strict ok"),
    pytest.param(spec("schema", strict=True, columns={"ID": "int", "amount": "str", "extra": "int"}), False,
                 "schema (strict) differs: missing extra; amount is DOUBLE, expected str; unexpected status; "
                 "unexpected updated_at; unexpected created_at", id="schema strict differs"),
    pytest.param(spec("schema", strict=False, columns={"id": "bigint", "status": "string"}), True,
                 "schema (subset) matches 2 expected column(s)", id="schema subset"),
    pytest.param(spec("distribution", column="amount", metric="mean", threshold=">8"), True,
                 "mean of amount is 8.5, as expected >8", id="distribution mean"),
    pytest.param(spec("distribution", column="amount", metric="min", threshold=">=0"), False,
                 "min of amount is -1, not as expected >=0", id="distribution min"),
    pytest.param(spec("distribution", column="amount", metric="max", threshold="<=20"), True,
                 "max of amount is 20, as expected <=20", id="distribution max"),
    pytest.param(spec("distribution", column="updated_at", metric="null_percentage", threshold="<0.1"), False,
                 "null_percentage of updated_at is 0.2, not as expected <0.1", id="distribution null share"),
    pytest.param(spec("range", column="created_at", min="2026-04-02", max="2026-04-29 23:00:00"), False,
                 "2 rows have created_at outside [2026-04-02, 2026-04-29 23:00:00]", id="range with date bounds"),
    pytest.param(spec("custom_sql", condition="created_at <= updated_at", threshold=0.6), True,
                 "3 rows have the condition `created_at <= updated_at` false or null (60.0% of rows; allowed "
                 "60.0%)", id="custom_sql within threshold"),
    pytest.param(spec("custom_sql", condition="created_at <= updated_at", threshold=0.2), False,
                 "3 rows have the condition `created_at <= updated_at` false or null (60.0% of rows; allowed "
                 "20.0%)", id="custom_sql over threshold"),
]


@pytest.mark.parametrize(("test", "passed", "message"), CASES)
def test_new_test_types(engine: Any, test: Spec, passed: bool, message: str) -> None:
    outcome = engine.validate(frame(engine, DATA), [test]).tests[0]
    assert (outcome.passed, outcome.message) == (passed, message.replace("DOUBLE", _double(engine)))


def _double(engine: Any) -> str:
    return dict(engine.schema(frame(engine, DATA)))["amount"]


def test_table_tests_share_the_scan_with_row_tests_and_quarantine(engine: Any) -> None:
    tests = [spec("not_null", "ids", "quarantine", columns=["id"]), spec("unique", "one id", "warn", columns=["id"]),
             spec("freshness", "fresh", column="updated_at", max_age="24h", as_of=AS_OF),
             spec("distribution", "mean", column="amount", metric="mean", threshold="<100")]
    outcome: ValidationOutcome = engine.validate(frame(engine, DATA), tests, gated=True)
    assert [(t.name, t.passed, t.failed_rows) for t in outcome.tests] == [
        ("ids", False, 1), ("one id", False, 2), ("fresh", True, 0), ("mean", True, 0)]
    assert (outcome.rows, outcome.quarantined_rows, outcome.failing_rows) == (5, 1, 3)
    assert [r[0] for r in rows(engine, outcome.valid, ordered=True)] == [1, 2, 2, 5]


@pytest.mark.parametrize(("gate", "passed", "message"), [
    pytest.param(GateSpec(require_pass_rate=0.5), True, "pass rate 50.0% meets the required 50.0%", id="passes"),
    pytest.param(GateSpec(require_pass_rate=0.9), False,
                 "pass rate 50.0% (2 of 4 rows) is below the required 90.0%", id="pass rate"),
    pytest.param(GateSpec(require_pass_rate=0.0, thresholds=(("not_null", 0.9), ("one id", 0.5))), False,
                 "test 'not_null' pass rate 80.0% is below the required 90.0%", id="threshold by type"),
    pytest.param(GateSpec(require_pass_rate=0.0, row_min=6), False, "row count 5 is below the minimum 6",
                 id="row_count"),
])
def test_gate_from_the_scan(engine: Any, gate: GateSpec, passed: bool, message: str) -> None:
    tests = [spec("not_null", "ids", "quarantine", columns=["id"]), spec("unique", "one id", "warn", columns=["id"])]
    verdict = evaluate_gate(gate, engine.validate(frame(engine, DATA), tests, gated=True), None)
    assert (verdict.outcome.passed, verdict.outcome.message) == (passed, message)


def test_gate_change_against_the_previous_run(engine: Any) -> None:
    outcome = engine.validate(frame(engine, DATA), [], gated=True)
    verdict = evaluate_gate(GateSpec(require_pass_rate=0.0, change_threshold=0.2), outcome, 10)
    assert verdict.outcome.message == ("row count changed 50.0% against the previous run (10 rows), more than the "
                                       "allowed 20.0%")
    assert verdict.blocks and verdict.details["previous_rows"] == 10


def test_quarantine_metadata_and_max_rows(engine: Any) -> None:
    tests = [spec("not_null", "ids", "quarantine", columns=["id"]),
             spec("range", "positive", "quarantine", column="amount", min=0)]
    moved = engine.validate(frame(engine, DATA), tests).quarantined
    columns = [name for name, _ in engine.schema(moved)]
    values = {"_rejected_at": "2026-04-30T00:00:00+00:00", "_source_batch_id": "run-1", "_original_node": "n"}
    extras = ("_rejection_reason", "_rejected_at", "_source_batch_id", "_failed_tests", "_original_node")
    table = engine.sql(quarantine_query(engine.dialect, columns, extras, values), {"df": moved})
    assert [name for name, _ in engine.schema(table)] == [*DATA, *extras]
    assert sorted(r[5:] for r in rows(engine, table)) == [
        ("Failed: ids", "2026-04-30T00:00:00+00:00", "run-1", "ids", "n"),
        ("Failed: positive", "2026-04-30T00:00:00+00:00", "run-1", "positive", "n")]
    capped = engine.sql(quarantine_query(engine.dialect, columns, ("_failed_tests",), values, 1), {"df": moved})
    assert engine.count(capped) == 1
    for fraction, expected in ((0.0, 0), (1.0, 2)):
        sampled = quarantine_query(engine.dialect, columns, (), values, None, fraction)
        assert engine.count(engine.sql(sampled, {"df": moved})) == expected
    kept = engine.sql(retention_query(engine.dialect, "2026-05-01", expired=False), {"df": table})
    assert engine.count(kept) == 0


def test_a_malformed_distribution_threshold_names_the_test(engine: Any) -> None:
    with pytest.raises(ExecutionError, match=r"validation test 'd' \(distribution\): 'threshold' must be a "
                                             r"comparison such as '>100'"):
        engine.validate(frame(engine, DATA), [spec("distribution", "d", column="amount", metric="mean",
                                                   threshold="about 5")])
