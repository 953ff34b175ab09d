"""Parity: every built-in transformer and every validation test type on the embedded engine and on Spark
(Sail and a JVM session), on the same data: the same rows, failing-row counts, messages and errors.

Rows are compared as JSON-ready values (sorted unless the transformer orders them), floats to 9 digits,
with each column's type family; an error is compared by its message, the engine's own text cut out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines import get_engine
from odibi_provider.engines.sql.dialect import type_family
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import TestSpec as Spec
from tests.engines.conftest import spark_engine

ORDERS = {"order_id": [1, 2, 2, 3, 3], "customer_id": [10, 20, 20, 30, 30], "amount": [5.0, None, 7.5, 2.0, 2.0],
          "status": ["paid", "open", "paid", None, None]}
CUSTOMERS = {"customer_id": [10, 20, 40], "name": ["ann", "it's \\ \"bo\"", "cy"], "amount": [1, 2, 3]}
WIDE = {"customer_id": [50], "order_id": [9], "note": ["new"]}
CHECKED = {"order_id": [1, 2, 2, None, 5], "status": ["paid", "open", "void", None, "it's"],
           "amount": [10.0, -1.0, 5.0, 700.0, None], "email": ["a@b.io", "nope", None, "x@y.io", "c@d.io"],
           "day": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), None, dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
           "flag": [True, False, None, True, True]}


@pytest.fixture(params=["sail", "jvm"])
def spark(request: pytest.FixtureRequest) -> Any:
    return spark_engine(request.getfixturevalue(f"{request.param}_session"))


@pytest.fixture(scope="module")
def embedded() -> Any:
    return get_engine("pandas")


def frame(engine: Any, columns: dict[str, list[Any]]) -> Any:
    """The same data as an engine's frame (Spark: built through Arrow, as a function's pandas output is)."""
    table = pa.table(columns)
    if engine.name == "pandas":
        return table
    from odibi_provider.engines.spark.convert import from_arrow

    return from_arrow(engine.session, table)


def _value(value: Any) -> Any:
    return round(value, 9) if isinstance(value, float) else value


def rows(engine: Any, data: Any, *, ordered: bool = False) -> list[tuple[Any, ...]]:
    found = [tuple(_value(v) for v in r.values()) for r in engine.sample(data, 10_000)]
    return found if ordered else sorted(found, key=repr)


def shape(engine: Any, data: Any) -> list[tuple[str, str]]:
    return [(name, type_family(kind)) for name, kind in engine.schema(data)]


def error(exc: ExecutionError) -> tuple[str, str]:
    """The message with the engine's own error text cut out (from "failed: " to the tables available)."""
    return "error", re.sub(r"failed: .*?(?=\n  tables available|$)", "failed: <engine error>", str(exc), flags=re.S)


TRANSFORMS = [
    pytest.param("filter_rows", {"condition": "amount > 4 AND status = 'paid'"}, id="filter_rows"),
    pytest.param("derive_columns", {"derivations": {"AMOUNT": "coalesce(amount, 0) * 2", "big": "amount > 5"}},
                 id="derive_columns"),
    pytest.param("cast_columns", {"casts": {"order_id": "str", "amount": "DECIMAL(10, 2)", "customer_id": "int"}},
                 id="cast_columns"),
    pytest.param("rename_columns", {"mapping": {"status": "it's \"state\"", "order_id": "id"}}, id="rename_columns"),
    pytest.param("select_columns", {"columns": ["STATUS", "order_id"]}, id="select_columns"),
    pytest.param("drop_columns", {"columns": ["amount", "status"]}, id="drop_columns"),
    pytest.param("deduplicate", {"keys": ["order_id"], "order_by": "amount DESC"}, id="deduplicate nulls last"),
    pytest.param("deduplicate", {"keys": "order_id", "order_by": ["amount ASC NULLS FIRST"]},
                 id="deduplicate nulls first"),
    pytest.param("deduplicate", {"keys": ["order_id", "customer_id", "amount", "status"]},
                 id="deduplicate whole rows (null keys equal)"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id"}, id="join inner"),
    pytest.param("join", {"right_dataset": "customers", "on": ["CUSTOMER_ID"], "how": "left",
                          "select": ["order_id", "name"]}, id="join left select"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "right"}, id="join right"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "full"}, id="join full"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "semi"}, id="join semi"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "anti"}, id="join anti"),
    pytest.param("union", {"datasets": ["wide"]}, id="union by name"),
    pytest.param("union", {"datasets": ["orders", "orders"], "distinct": True}, id="union distinct"),
    pytest.param("union", {"datasets": "orders", "by_name": False}, id="union positional"),
    pytest.param("aggregate", {"group_by": ["customer_id"], "aggregations": {"n": "count(*)", "total": "sum(amount)"}},
                 id="aggregate"),
    pytest.param("aggregate", {"group_by": [], "aggregations": {"n": "count(*)"}}, id="aggregate all"),
    pytest.param("sort", {"by": ["customer_id", "amount"], "ascending": [False, True]}, id="sort"),
    pytest.param("sort", {"by": "amount", "ascending": False}, id="sort descending nulls last"),
    pytest.param("fill_nulls", {"values": {"amount": 0, "status": "it's \\ \"unknown\""}}, id="fill_nulls"),
    pytest.param("select_columns", {"columns": ["order_id", "stauts"]}, id="error: unknown column"),
    pytest.param("cast_columns", {"casts": {"amount": "money; DROP TABLE x"}}, id="error: not a type"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "outer"}, id="error: join kind"),
    pytest.param("union", {"datasets": ["customers", "wide"], "by_name": False}, id="error: positional width"),
    pytest.param("fill_nulls", {"values": {"amount": [1]}}, id="error: fill value"),
    pytest.param("sort", {"by": "amount", "ascendng": True}, id="error: unknown param"),
    pytest.param("filter_row", {"condition": "true"}, id="error: unknown transformer"),
    pytest.param("filter_rows", {"condition": "nope > 1"}, id="error: SQL names the tables"),
]


def transformed(engine: Any, name: str, params: dict[str, Any]) -> tuple[Any, ...]:
    relations = {"customers": frame(engine, CUSTOMERS), "wide": frame(engine, WIDE), "orders": frame(engine, ORDERS)}
    try:
        result, _ = engine.transformer(name, FrozenMap(params), frame(engine, ORDERS), relations)
        return shape(engine, result), rows(engine, result, ordered=name == "sort")
    except ExecutionError as exc:
        return error(exc)


@pytest.mark.parametrize(("name", "params"), TRANSFORMS)
def test_transformers(embedded: Any, spark: Any, name: str, params: dict[str, Any]) -> None:
    assert transformed(spark, name, params) == transformed(embedded, name, params)


def spec(type_: str, name: str, on_fail: str = "warn", **args: Any) -> Spec:
    return Spec(type=type_, name=name, on_fail=on_fail, args=FrozenMap(args))


TESTS = [
    pytest.param([spec("not_null", "nn", columns=["order_id", "email"])], id="not_null"),
    pytest.param([spec("not_null", "nn", columns="status")], id="not_null one name"),
    pytest.param([spec("unique", "uq", columns=["order_id"])], id="unique"),
    pytest.param([spec("unique", "uq", columns=["order_id", "status"])], id="unique composite passes"),
    pytest.param([spec("accepted_values", "av", column="status", values=["paid", "open", "it's"])],
                 id="accepted_values text"),
    pytest.param([spec("accepted_values", "av", column="order_id", values=[1, 2, 5])], id="accepted_values numbers"),
    pytest.param([spec("accepted_values", "av", column="order_id", values=[1, "2", "x"])],
                 id="accepted_values string on an integer column fails rows, not the node"),
    pytest.param([spec("accepted_values", "av", column="amount", values=["10", 5, "cheap"])],
                 id="accepted_values on a double column"),
    pytest.param([spec("accepted_values", "av", column="day", values=["2024-01-01", "not a date"])],
                 id="accepted_values on a date column"),
    pytest.param([spec("accepted_values", "av", column="flag", values=[True, "maybe"])],
                 id="accepted_values on a boolean column"),
    pytest.param([spec("accepted_values", "av", column="order_id", values=[])], id="accepted_values none"),
    pytest.param([spec("range", "rg", column="amount", min=0, max=100)], id="range"),
    pytest.param([spec("range", "rg", column="amount", min=-5)], id="range min only"),
    pytest.param([spec("regex_match", "rx", column="email", pattern=r"^[^@]+@[^@]+\.io$")], id="regex_match anchored"),
    pytest.param([spec("regex_match", "rx", column="email", pattern=r"\w@")], id="regex_match with a backslash"),
    pytest.param([spec("regex_match", "rx", column="order_id", pattern="^[12]$")], id="regex_match on numbers"),
    pytest.param([spec("custom_sql", "cs", condition="amount < 600")], id="custom_sql"),
    pytest.param([spec("custom_sql", "cs", "quarantine", condition="amount <= 2 * avg(amount) OVER ()")],
                 id="custom_sql window quarantined"),
    pytest.param([spec("custom_sql", "cs", "quarantine", condition="amount <= (SELECT 2 * avg(amount) FROM df)")],
                 id="custom_sql subquery quarantined"),
    pytest.param([spec("row_count", "rc", min=1, max=5)], id="row_count passes"),
    pytest.param([spec("row_count", "rc", "fail", max=3)], id="row_count fails"),
    pytest.param([spec("not_null", "has_id", "quarantine", columns=["order_id"]),
                  spec("range", "positive", "quarantine", column="amount", min=0),
                  spec("accepted_values", "statuses", "warn", column="status", values=["paid", "open"]),
                  spec("unique", "one_per_id", "fail", columns=["order_id"]), spec("row_count", "rc", min=1)],
                 id="quarantine with a window test"),
    pytest.param([spec("not_null", "has_id", "quarantine", columns=["order_id"]),
                  spec("regex_match", "mail", "quarantine", column="email", pattern="@")],
                 id="quarantine without a window test"),
    pytest.param([spec("not_null", "ok", columns=["status"]), spec("not_null", "t", columns=["ordr_id"])],
                 id="error: unknown column"),
    pytest.param([spec("accepted_values", "st", column="status", values="paid")], id="error: values not a list"),
    pytest.param([spec("range", "r", column="amount", min="zero")], id="error: bound not a number"),
    pytest.param([spec("nul", "t")], id="error: unknown type"),
    pytest.param([spec("not_null", "ok", columns=["status"]), spec("custom_sql", "bad", condition="nope > 1")],
                 id="error: broken custom_sql is named"),
]


def validated(engine: Any, tests: list[Spec]) -> tuple[Any, ...]:
    data = frame(engine, CHECKED)
    try:
        result = engine.validate(data, tests)
    except ExecutionError as exc:
        return error(exc)
    for test in result.tests:  # each outcome's SQL lists its failing rows, in the engine's dialect
        if test.type != "row_count":
            assert engine.count(engine.sql(test.sql, {"df": data})) == test.failed_rows, (engine.name, test)
    outcomes = [(t.name, t.passed, t.failed_rows, t.message) for t in result.tests]
    quarantined = None if result.quarantined is None else rows(engine, result.quarantined)
    return outcomes, rows(engine, result.valid), quarantined, result.quarantined_rows


@pytest.mark.parametrize("tests", TESTS)
def test_validation(embedded: Any, spark: Any, tests: list[Spec]) -> None:
    assert validated(spark, tests) == validated(embedded, tests)
