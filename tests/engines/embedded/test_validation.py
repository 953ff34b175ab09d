"""Validation on the embedded engine: failing-row counts, messages, quarantine split, clear errors."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines import get_engine
from odibi_provider.engines.embedded.validation import FAILED_COLUMN
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import TestSpec as Spec

ORDERS = pa.table({
    "order_id": [1, 2, 2, None, 5],
    "status": ["paid", "open", "void", None, "paid"],
    "amount": [10.0, -1.0, 5.0, 700.0, None],
    "email": ["a@b.io", "nope", None, "x@y.io", "c@d.io"],
})


@pytest.fixture(scope="module")
def engine() -> Any:
    return get_engine("pandas")


def spec(type_: str, name: str | None = None, on_fail: str = "warn", **args: Any) -> Spec:
    return Spec(type=type_, name=name or type_, on_fail=on_fail, args=FrozenMap(args))


CASES = [
    pytest.param(spec("not_null", columns=["order_id"]), 1, "1 row has nulls in order_id", id="not_null"),
    pytest.param(spec("not_null", columns=["order_id", "email"]), 2, "2 rows have nulls in order_id, email",
                 id="not_null several columns"),
    pytest.param(spec("not_null", columns="status"), 1, "1 row has nulls in status", id="not_null one name"),
    pytest.param(spec("unique", columns=["order_id"]), 2, "2 rows have a duplicate order_id", id="unique"),
    pytest.param(spec("unique", columns=["order_id", "status"]), 0, "no rows have a duplicate (order_id, status)",
                 id="unique composite passes"),
    pytest.param(spec("accepted_values", column="status", values=["paid", "open"]), 1,
                 "1 row has status outside the accepted values paid, open", id="accepted_values nulls pass"),
    pytest.param(spec("accepted_values", column="order_id", values=[1, 2, 5]), 0,
                 "no rows have order_id outside the accepted values 1, 2, 5", id="accepted_values numbers"),
    pytest.param(spec("range", column="amount", min=0, max=100), 2, "2 rows have amount outside [0, 100]",
                 id="range nulls pass"),
    pytest.param(spec("range", column="amount", min=-5), 0, "no rows have amount outside [-5, inf]",
                 id="range min only"),
    pytest.param(spec("regex_match", column="email", pattern=r"^[^@]+@[^@]+\.io$"), 1,
                 "1 row has email not matching", id="regex_match anchored"),
    pytest.param(spec("regex_match", column="email", pattern="@"), 1, "1 row has email", id="regex_match search"),
    pytest.param(spec("custom_sql", condition="amount < 600"), 2,
                 "2 rows have the condition `amount < 600` false or null", id="custom_sql null fails"),
    pytest.param(spec("row_count", min=1, max=5), 0, "row count 5 is within [1, 5]", id="row_count passes"),
]


@pytest.mark.parametrize(("test", "failed", "message"), CASES)
def test_counts_and_messages(engine: Any, test: Spec, failed: int, message: str) -> None:
    result = engine.validate(ORDERS, [test])
    (outcome,) = result.tests
    assert (outcome.name, outcome.type, outcome.on_fail) == (test.name, test.type, "warn")
    assert outcome.failed_rows == failed
    assert outcome.passed is (failed == 0)
    assert outcome.message.startswith(message)
    assert result.valid is ORDERS and result.quarantined is None and result.quarantined_rows == 0


@pytest.mark.parametrize("test", [c.values[0] for c in CASES if c.values[0].type != "row_count"])
def test_each_outcome_sql_lists_the_failing_rows(engine: Any, test: Spec) -> None:
    (outcome,) = engine.validate(ORDERS, [test]).tests
    assert engine.count(engine.sql(outcome.sql, {"df": ORDERS})) == outcome.failed_rows


@pytest.mark.parametrize(("args", "message"), [
    pytest.param({"min": 6}, "row count 5 is below the minimum 6", id="below min"),
    pytest.param({"max": 4}, "row count 5 is above the maximum 4", id="above max"),
])
def test_row_count_fails_as_a_whole(engine: Any, args: dict[str, Any], message: str) -> None:
    result = engine.validate(ORDERS, [spec("row_count", on_fail="fail", **args)])
    (outcome,) = result.tests
    assert (outcome.passed, outcome.failed_rows, outcome.message) == (False, 0, message)
    assert result.blocking_failures == (outcome,)
    assert result.valid is ORDERS


def test_quarantine_splits_rows_and_names_failed_tests(engine: Any) -> None:
    tests = [
        spec("not_null", "ids", "quarantine", columns=["order_id"]),
        spec("range", "amounts", "quarantine", column="amount", min=0),
        spec("accepted_values", "statuses", "warn", column="status", values=["paid", "open"]),
        spec("unique", "unique_ids", "fail", columns=["order_id"]),
    ]
    result = engine.validate(ORDERS, tests)
    assert [t.failed_rows for t in result.tests] == [1, 1, 1, 2]
    assert result.valid.column_names == ORDERS.column_names
    assert sorted(result.valid.column("order_id").to_pylist()) == [1, 2, 5]
    quarantined = sorted(result.quarantined.to_pylist(), key=lambda r: r["amount"])
    assert result.quarantined_rows == 2
    assert result.quarantined.column_names == [*ORDERS.column_names, FAILED_COLUMN]
    assert [(r["order_id"], r[FAILED_COLUMN]) for r in quarantined] == [(2, "amounts, unique_ids"), (None, "ids")]
    assert [t.name for t in result.blocking_failures] == ["unique_ids"]


def test_warn_and_fail_keep_every_row(engine: Any) -> None:
    tests = [spec("not_null", on_fail="fail", columns=["order_id"]), spec("unique", columns=["order_id"])]
    result = engine.validate(ORDERS, tests)
    assert result.valid is ORDERS and result.quarantined is None


@pytest.mark.parametrize("with_window", [pytest.param(False, id="flags-only scan"),
                                         pytest.param(True, id="with a unique (window) test")])
def test_quarantine_keeps_row_order_and_lines_up_flags(engine: Any, with_window: bool) -> None:
    n = 20_000
    frame = pa.table({"id": list(range(n)), "v": [None if i % 7 == 0 else i for i in range(n)]})
    tests = [spec("not_null", "v_present", "quarantine", columns=["v"]),
             spec("custom_sql", "small", "quarantine", condition="id < 19990")]
    tests += [spec("unique", "ids", "warn", columns=["id"])] if with_window else []
    result = engine.validate(frame, tests)
    valid_ids = [i for i in range(n) if i % 7 and i < 19990]
    assert [t.failed_rows for t in result.tests][:2] == [len(range(0, n, 7)), 10]
    assert sorted(result.valid.column("id").to_pylist()) == valid_ids
    if not with_window:
        assert result.valid.column("id").to_pylist() == valid_ids
    failed = {r["id"]: r[FAILED_COLUMN] for r in result.quarantined.to_pylist()}
    assert len(failed) == result.quarantined_rows == n - len(valid_ids)
    assert failed[0] == "v_present" and failed[19991] == "small" and failed[19992] == "v_present, small"
    assert all(r["v"] is None or r["id"] >= 19990 for r in result.quarantined.to_pylist())


@pytest.mark.parametrize("condition", [
    pytest.param("amount <= 2 * avg(amount) OVER ()", id="window"),
    pytest.param("amount <= (SELECT 2 * avg(amount) FROM df)", id="subquery"),
])
def test_custom_sql_with_window_or_subquery_quarantines_the_right_rows(engine: Any, condition: str) -> None:
    result = engine.validate(ORDERS, [spec("custom_sql", "not_huge", "quarantine", condition=condition)])
    (outcome,) = result.tests
    assert outcome.failed_rows == 2
    assert engine.count(engine.sql(outcome.sql, {"df": ORDERS})) == 2
    assert sorted(r["order_id"] or 0 for r in result.quarantined.to_pylist()) == [0, 5]
    assert sorted(result.valid.column("order_id").to_pylist()) == [1, 2, 2]


def test_a_passing_quarantine_test_moves_nothing(engine: Any) -> None:
    result = engine.validate(ORDERS, [spec("range", on_fail="quarantine", column="amount", min=-100)])
    assert result.tests[0].passed and result.quarantined is None and result.valid is ORDERS


def test_revalidating_quarantined_rows_replaces_the_failed_tests_column(engine: Any) -> None:
    first = engine.validate(ORDERS, [spec("not_null", "ids", "quarantine", columns=["order_id"])]).quarantined
    again = engine.validate(first, [spec("not_null", "emails", "quarantine", columns=["status"])])
    assert again.quarantined.column_names == first.column_names
    assert again.quarantined.column(FAILED_COLUMN).to_pylist() == ["emails"]
    assert again.valid.num_rows == 0


def test_no_tests_and_empty_frames(engine: Any) -> None:
    assert engine.validate(ORDERS, []).tests == ()
    empty = ORDERS.slice(0, 0)
    result = engine.validate(empty, [spec("unique", on_fail="quarantine", columns=["order_id"]),
                                     spec("row_count", min=1)])
    assert [(t.passed, t.failed_rows) for t in result.tests] == [(True, 0), (False, 0)]


@pytest.mark.parametrize(("test", "message"), [
    pytest.param(spec("not_null", "ids", columns=["order_ld"]),
                 r"validation test 'ids' \(not_null\): unknown column 'order_ld'; did you mean 'order_id'\?",
                 id="unknown column"),
    pytest.param(spec("accepted_values", "st", column="status", values="paid"),
                 r"validation test 'st' \(accepted_values\): 'values' must be a list of values, got 'paid'",
                 id="values not a list"),
    pytest.param(spec("range", "r", column="amount", min="zero"), "'min' must be a number, got 'zero'",
                 id="range bound not a number"),
    pytest.param(spec("custom_sql", "positive", condition="amont > 0"),
                 r"validation test 'positive' \(custom_sql\) could not run: .*amont", id="custom_sql bad column"),
    pytest.param(spec("not_nul", "x", columns=["order_id"]), r"unknown type 'not_nul'; did you mean 'not_null'\?",
                 id="unknown test type"),
])
def test_bad_tests_raise_clear_errors(engine: Any, test: Spec, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        engine.validate(ORDERS, [spec("not_null", columns=["order_id"]), test])
