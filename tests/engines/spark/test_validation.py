"""Validation on Spark: the embedded engine's counts and messages, the quarantine split, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.engines.spark.validation import FAILED_COLUMN
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import TestSpec as Spec
from tests.engines.spark.helpers import frame, rows

ORDERS = {"order_id": [1, 2, 2, None, 5], "status": ["paid", "open", "void", None, "paid"],
          "amount": [10.0, -1.0, 5.0, 700.0, None], "email": ["a@b.io", "nope", None, "x@y.io", "c@d.io"],
          "flag": [True, False, None, True, True]}


def spec(type_: str, name: str, on_fail: str = "warn", **args: Any) -> Spec:
    return Spec(type=type_, name=name, on_fail=on_fail, args=FrozenMap(args))


CASES = [  # (test, failing rows, message)
    (spec("not_null", "nn", columns=["order_id"]), 1, "1 row has nulls in order_id"),
    (spec("not_null", "nn2", columns=["order_id", "email"]), 2, "2 rows have nulls in order_id, email"),
    (spec("unique", "uq", columns=["order_id"]), 2, "2 rows have a duplicate order_id"),
    (spec("unique", "uq2", columns=["order_id", "status"]), 0, "no rows have a duplicate (order_id, status)"),
    (spec("accepted_values", "av", column="status", values=["paid", "open"]), 1,
     "1 row has status outside the accepted values paid, open"),
    (spec("accepted_values", "av2", column="order_id", values=[1, "2", 5, "x"]), 0, "no rows have order_id outside"),
    (spec("accepted_values", "av3", column="flag", values=[True]), 1, "1 row has flag outside the accepted values"),
    (spec("range", "rg", column="amount", min=0, max=100), 2, "2 rows have amount outside [0, 100]"),
    (spec("regex_match", "rx", column="email", pattern=r"^[^@]+@[^@]+\.io$"), 1, "1 row has email not matching"),
    (spec("regex_match", "rx2", column="email", pattern=r"\w@"), 1, "1 row has email not matching"),
    (spec("custom_sql", "cs", condition="amount < 600"), 2, "2 rows have the condition `amount < 600` false or null"),
    (spec("row_count", "rc", min=1, max=5), 0, "row count 5 is within [1, 5]"),
]


def test_counts_and_messages(engine: Any) -> None:
    """Every test in one validation (one scan): counts and messages as on the embedded engine."""
    result = engine.validate(frame(engine, ORDERS), [case[0] for case in CASES])
    for (test, failed, message), outcome in zip(CASES, result.tests, strict=True):
        assert (outcome.name, outcome.failed_rows, outcome.passed) == (test.name, failed, failed == 0)
        assert outcome.message.startswith(message), outcome.message
    assert result.quarantined is None and result.quarantined_rows == 0


def test_row_count_out_of_range_fails(sail_engine: Any) -> None:
    (outcome,) = sail_engine.validate(frame(sail_engine, ORDERS), [spec("row_count", "rc", "fail", max=3)]).tests
    assert not outcome.passed and outcome.message == "row count 5 is above the maximum 3"


def test_quarantine_splits_rows_and_names_the_failed_tests(engine: Any) -> None:
    tests = [spec("not_null", "has_id", "quarantine", columns=["order_id"]),
             spec("range", "positive", "quarantine", column="amount", min=0),
             spec("unique", "one_per_id", "warn", columns=["order_id"])]
    result = engine.validate(frame(engine, ORDERS), tests)
    assert result.quarantined_rows == 2 and engine.count(result.quarantined) == 2
    assert [t.failed_rows for t in result.tests] == [1, 1, 2]
    assert result.quarantined.columns[-1] == FAILED_COLUMN
    assert {r[0]: r[-1] for r in rows(engine, result.quarantined)} == {None: "has_id", 2: "positive, one_per_id"}
    assert sorted(r[0] for r in rows(engine, result.valid)) == [1, 2, 5]
    assert result.valid.columns == list(ORDERS)


@pytest.mark.parametrize(("test", "message"), [
    pytest.param(spec("not_null", "t", columns=["ordr_id"]), r"unknown column 'ordr_id'; did you mean 'order_id'\?",
                 id="unknown column"),
    pytest.param(spec("range", "t", column="amount", min="low"), "'min' must be a number", id="bad bound"),
    pytest.param(spec("nul", "t"), r"unknown type 'nul'", id="unknown type"),
    pytest.param(spec("custom_sql", "bad", condition="nope > 1"), r"validation test 'bad' \(custom_sql\) could not run",
                 id="broken custom sql is named"),
])
def test_errors_name_the_test(sail_engine: Any, test: Spec, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        sail_engine.validate(frame(sail_engine, ORDERS), [spec("not_null", "ok", columns=["status"]), test])
