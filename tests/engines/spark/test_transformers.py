"""The built-in transformers on Spark (Sail and a JVM session): the embedded engine's rows, clear errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from odibi_provider.engines.sql import transformers
from odibi_provider.engines.sql.dialect import SPARK
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.builtins import BUILTIN_TRANSFORMERS
from odibi_provider.plan.frozen import FrozenMap
from tests.engines.spark.helpers import frame, ordered, rows

literal, nulls_last = SPARK.literal, SPARK.order_by

ORDERS = {"order_id": [1, 2, 2, 3], "customer_id": [10, 20, 20, 30], "amount": [5.0, None, 7.5, 2.0],
          "status": ["paid", "open", "paid", None]}
CUSTOMERS = {"customer_id": [10, 20, 40], "name": ["ann", "bo", "cy"], "amount": [1, 2, 3]}


def apply(engine: Any, name: str, params: dict[str, Any], data: dict[str, list[Any]] = ORDERS) -> Any:
    result, sql = engine.transformer(name, FrozenMap(params), frame(engine, data),
                                     {"customers": frame(engine, CUSTOMERS)})
    assert sql.startswith("SELECT")
    return result


def test_the_engine_implements_exactly_the_plan_builtins() -> None:
    assert set(transformers.TRANSFORMERS) == set(BUILTIN_TRANSFORMERS)


ROWS = [
    pytest.param("filter_rows", {"condition": "amount > 4 AND status = 'paid'"},
                 [(1, 10, 5.0, "paid"), (2, 20, 7.5, "paid")], id="filter_rows"),
    pytest.param("select_columns", {"columns": ["status", "ORDER_ID"]},
                 [("paid", 1), ("open", 2), ("paid", 2), (None, 3)], id="select_columns, case-insensitive"),
    pytest.param("drop_columns", {"columns": ["amount", "status"]}, [(1, 10), (2, 20), (2, 20), (3, 30)],
                 id="drop_columns"),
    pytest.param("deduplicate", {"keys": ["order_id"], "order_by": "amount DESC"},
                 [(1, 10, 5.0, "paid"), (2, 20, 7.5, "paid"), (3, 30, 2.0, None)], id="deduplicate, nulls last"),
    pytest.param("deduplicate", {"keys": "order_id", "order_by": ["amount ASC NULLS FIRST"]},
                 [(1, 10, 5.0, "paid"), (2, 20, None, "open"), (3, 30, 2.0, None)], id="deduplicate order_by list"),
    pytest.param("fill_nulls", {"values": {"amount": 0, "status": "it's \\ unknown"}},
                 [(1, 10, 5.0, "paid"), (2, 20, 0.0, "open"), (2, 20, 7.5, "paid"), (3, 30, 2.0, "it's \\ unknown")],
                 id="fill_nulls escapes literals"),
    pytest.param("aggregate", {"group_by": ["customer_id"], "aggregations": {"n": "count(*)", "total": "sum(amount)"}},
                 [(10, 1, 5.0), (20, 2, 7.5), (30, 1, 2.0)], id="aggregate"),
    pytest.param("aggregate", {"group_by": [], "aggregations": {"n": "count(*)"}}, [(4,)], id="aggregate all"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "inner"},
                 [(1, 10, 5.0, "paid", "ann", 1), (2, 20, None, "open", "bo", 2), (2, 20, 7.5, "paid", "bo", 2)],
                 id="join inner, clashing right column named after the dataset"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "right",
                          "select": ["customer_id", "order_id"]},
                 [(10, 1), (20, 2), (20, 2), (40, None)], id="join right takes the right key"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "full",
                          "select": ["customer_id", "order_id", "name"]},
                 [(10, 1, "ann"), (20, 2, "bo"), (20, 2, "bo"), (30, 3, None), (40, None, "cy")], id="join full"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "anti"},
                 [(3, 30, 2.0, None)], id="join anti"),
    pytest.param("union", {"datasets": ["customers"]},
                 [(1, 10, 5.0, "paid", None), (2, 20, 7.5, "paid", None), (2, 20, None, "open", None),
                  (3, 30, 2.0, None, None), (None, 10, 1.0, None, "ann"), (None, 20, 2.0, None, "bo"),
                  (None, 40, 3.0, None, "cy")], id="union by name fills missing columns"),
]


@pytest.mark.parametrize(("name", "params", "expected"), ROWS)
def test_transformer_rows(engine: Any, name: str, params: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    assert rows(engine, apply(engine, name, params)) == sorted(expected, key=repr)


def test_column_shapes(sail_engine: Any) -> None:
    engine = sail_engine
    joined = apply(engine, "join", {"right_dataset": "customers", "on": "customer_id"})
    assert joined.columns == ["order_id", "customer_id", "amount", "status", "name", "customers_amount"]
    derived = apply(engine, "derive_columns", {"derivations": {"amount": "coalesce(amount, 0) * 2", "big": "amount > 5"}})
    assert derived.columns == ["order_id", "customer_id", "amount", "status", "big"]
    assert apply(engine, "rename_columns", {"mapping": {"status": "state", "order_id": "id"}}).columns == [
        "id", "customer_id", "amount", "state"]
    casted = apply(engine, "cast_columns", {"casts": {"order_id": "str", "amount": "DECIMAL(10, 2)"}})
    assert engine.schema(casted)[0] == ("order_id", "string") and engine.schema(casted)[2] == ("amount", "decimal(10,2)")
    assert sorted(r["amount"] for r in casted.collect() if r["amount"] is not None)[0] == Decimal("2.00")


def test_sort_with_a_flag_per_column_and_nulls_last(engine: Any) -> None:
    result = apply(engine, "sort", {"by": ["customer_id", "amount"], "ascending": [False, True]})
    assert [r[0] for r in ordered(engine, result)] == [3, 2, 2, 1]
    assert [r[2] for r in ordered(engine, result)] == [2.0, 7.5, None, 5.0]


BAD = [
    pytest.param("select_columns", {"columns": ["order_id", "stauts"]},
                 r"param 'columns': unknown column 'stauts'; did you mean 'status'\?", id="unknown column"),
    pytest.param("cast_columns", {"casts": {"amount": "money; DROP TABLE x"}}, "'money; DROP TABLE x' is not a type",
                 id="bad cast type"),
    pytest.param("join", {"right_dataset": "customer", "on": "customer_id"},
                 r"unknown dataset 'customer'; did you mean 'customers'\?", id="unknown right dataset"),
    pytest.param("union", {"datasets": ["customers"], "by_name": False}, "needs the same number of columns",
                 id="positional union width"),
    pytest.param("drop_columns", {"columns": ["order_id", "customer_id", "amount", "status"]},
                 "dropping every column", id="drop everything"),
    pytest.param("sort", {"by": "amount", "ascendng": True}, r"did you mean 'ascending'\?", id="unknown param"),
    pytest.param("filter_rows", {"condition": "nope > 1"},
                 r"transformer 'filter_rows' failed: .*nope(.|\n)*tables available: customers, df", id="sql error"),
]


@pytest.mark.parametrize(("name", "params", "message"), BAD)
def test_bad_params_raise_clear_errors(sail_engine: Any, name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        apply(sail_engine, name, params)


@pytest.mark.parametrize(("value", "sql"), [
    pytest.param(None, "NULL", id="null"), pytest.param(True, "TRUE", id="bool"), pytest.param(2.5, "2.5", id="float"),
    pytest.param(float("nan"), "CAST('nan' AS DOUBLE)", id="nan"),
    pytest.param("O'Brien \\d", "'O\\'Brien \\\\d'", id="Spark escapes quotes and backslashes"),
])
def test_literal(value: Any, sql: str) -> None:
    assert literal(value) == sql


def test_order_terms_sort_nulls_last_unless_told() -> None:
    assert nulls_last("a DESC, coalesce(b, 1), c ASC NULLS FIRST") == (
        "a DESC NULLS LAST, coalesce(b, 1) NULLS LAST, c ASC NULLS FIRST")
