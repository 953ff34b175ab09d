"""The built-in transformers on the embedded engine: exact rows out, clear errors for bad params."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines import get_engine
from odibi_provider.engines.sql import transformers
from odibi_provider.engines.sql.dialect import DUCKDB
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.builtins import BUILTIN_TRANSFORMERS
from odibi_provider.plan.frozen import FrozenMap

ORDERS = pa.table({
    "order_id": [1, 2, 2, 3],
    "customer_id": [10, 20, 20, 30],
    "amount": [5.0, None, 7.5, 2.0],
    "status": ["paid", "open", "paid", None],
})
CUSTOMERS = pa.table({"customer_id": [10, 20, 40], "name": ["ann", "bo", "cy"], "amount": [1, 2, 3]})


@pytest.fixture(scope="module")
def engine() -> Any:
    return get_engine("pandas")


def apply(engine: Any, name: str, params: dict[str, Any], frame: pa.Table = ORDERS) -> pa.Table:
    result, sql = engine.transformer(name, FrozenMap(params), frame, {"customers": CUSTOMERS})
    assert sql.startswith("SELECT")
    return engine.materialize(result)


def unordered(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)


def test_the_engine_implements_exactly_the_plan_builtins() -> None:
    assert set(transformers.TRANSFORMERS) == set(BUILTIN_TRANSFORMERS)
    for name, builder in transformers.TRANSFORMERS.items():
        assert f"transformer: {name}" in (builder.__doc__ or ""), f"{name} needs a YAML example"


ROWS = [
    pytest.param("filter_rows", {"condition": "amount > 4 AND status = 'paid'"},
                 [(1, 10, 5.0, "paid"), (2, 20, 7.5, "paid")], id="filter_rows"),
    pytest.param("select_columns", {"columns": ["status", "order_id"]},
                 [("paid", 1), ("open", 2), ("paid", 2), (None, 3)], id="select_columns keeps the given order"),
    pytest.param("select_columns", {"columns": "ORDER_ID"}, [(1,), (2,), (2,), (3,)],
                 id="select_columns one name, case-insensitive"),
    pytest.param("drop_columns", {"columns": ["amount", "status"]}, [(1, 10), (2, 20), (2, 20), (3, 30)],
                 id="drop_columns"),
    pytest.param("deduplicate", {"keys": ["order_id"], "order_by": "amount DESC NULLS LAST"},
                 [(1, 10, 5.0, "paid"), (2, 20, 7.5, "paid"), (3, 30, 2.0, None)], id="deduplicate by order_by"),
    pytest.param("deduplicate", {"keys": "order_id", "order_by": ["amount ASC NULLS FIRST"]},
                 [(1, 10, 5.0, "paid"), (2, 20, None, "open"), (3, 30, 2.0, None)],
                 id="deduplicate order_by list"),
    pytest.param("fill_nulls", {"values": {"amount": 0, "status": "it's unknown"}},
                 [(1, 10, 5.0, "paid"), (2, 20, 0.0, "open"), (2, 20, 7.5, "paid"), (3, 30, 2.0, "it's unknown")],
                 id="fill_nulls quotes literals"),
    pytest.param("aggregate", {"group_by": ["customer_id"], "aggregations": {"n": "count(*)", "total": "sum(amount)"}},
                 [(10, 1, 5.0), (20, 2, 7.5), (30, 1, 2.0)], id="aggregate"),
    pytest.param("aggregate", {"group_by": [], "aggregations": {"n": "count(*)"}}, [(4,)],
                 id="aggregate the whole table"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "inner"},
                 [(1, 10, 5.0, "paid", "ann", 1), (2, 20, None, "open", "bo", 2), (2, 20, 7.5, "paid", "bo", 2)],
                 id="join inner, clashing right column named after the dataset"),
    pytest.param("join", {"right_dataset": "customers", "on": ["customer_id"], "how": "left",
                          "select": ["order_id", "name"]},
                 [(1, "ann"), (2, "bo"), (2, "bo"), (3, None)], id="join left with select"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "right",
                          "select": ["customer_id", "order_id"]},
                 [(10, 1), (20, 2), (20, 2), (40, None)], id="join right coalesces the key"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "full",
                          "select": ["customer_id", "order_id", "name"]},
                 [(10, 1, "ann"), (20, 2, "bo"), (20, 2, "bo"), (30, 3, None), (40, None, "cy")], id="join full"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "semi"},
                 [(1, 10, 5.0, "paid"), (2, 20, None, "open"), (2, 20, 7.5, "paid")], id="join semi"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "anti"},
                 [(3, 30, 2.0, None)], id="join anti"),
]


@pytest.mark.parametrize(("name", "params", "expected"), ROWS)
def test_transformer_rows(engine: Any, name: str, params: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    assert unordered(apply(engine, name, params)) == sorted(expected, key=repr)


def test_join_column_names(engine: Any) -> None:
    result = apply(engine, "join", {"right_dataset": "customers", "on": "customer_id"})
    assert result.column_names == ["order_id", "customer_id", "amount", "status", "name", "customers_amount"]


def test_derive_columns_replaces_in_place_and_appends(engine: Any) -> None:
    result = apply(engine, "derive_columns", {"derivations": {"amount": "coalesce(amount, 0) * 2",
                                                               "big": "amount > 5"}})
    assert result.column_names == ["order_id", "customer_id", "amount", "status", "big"]
    assert result.column("amount").to_pylist() == [10.0, 0.0, 15.0, 4.0]
    assert result.column("big").to_pylist() == [False, None, True, False]


def test_cast_columns_sql_types_and_aliases(engine: Any) -> None:
    frame = pa.table({"id": [1, 2], "price": ["1.50", "2"], "day": ["2024-01-31", "2024-02-01"]})
    result = apply(engine, "cast_columns", {"casts": {"id": "str", "price": "DECIMAL(10, 2)", "day": "date"}}, frame)
    assert result.to_pylist() == [
        {"id": "1", "price": Decimal("1.50"), "day": dt.date(2024, 1, 31)},
        {"id": "2", "price": Decimal("2.00"), "day": dt.date(2024, 2, 1)},
    ]
    assert engine.schema(result) == [("id", "VARCHAR"), ("price", "DECIMAL(10,2)"), ("day", "DATE")]


def test_rename_columns_keeps_order(engine: Any) -> None:
    result = apply(engine, "rename_columns", {"mapping": {"status": "state", "order_id": "id"}})
    assert result.column_names == ["id", "customer_id", "amount", "state"]
    assert result.column("state").to_pylist() == ["paid", "open", "paid", None]


def test_sort_with_a_flag_per_column_and_nulls_last(engine: Any) -> None:
    result = apply(engine, "sort", {"by": ["customer_id", "amount"], "ascending": [False, True]})
    assert result.column("order_id").to_pylist() == [3, 2, 2, 1]
    assert result.column("amount").to_pylist() == [2.0, 7.5, None, 5.0]
    assert apply(engine, "sort", {"by": "amount", "ascending": False}).column("amount").to_pylist() == [
        7.5, 5.0, 2.0, None]


@pytest.mark.parametrize(("params", "expected"), [
    pytest.param({"datasets": ["more"]}, [(1, "a"), (1, "a"), (2, None)], id="by name fills missing columns"),
    pytest.param({"datasets": "more", "distinct": True}, [(1, "a"), (2, None)], id="distinct"),
])
def test_union(engine: Any, params: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    df = pa.table({"k": [1], "v": ["a"]})
    more = pa.table({"v": ["a", None], "k": [1, 2]})
    result, _ = engine.transformer("union", params, df, {"more": more})
    result = engine.materialize(result)
    assert result.column_names == ["k", "v"]
    assert unordered(result) == expected


def test_union_positional(engine: Any) -> None:
    df = pa.table({"k": [1], "v": ["a"]})
    result, _ = engine.transformer("union", {"datasets": ["more"], "by_name": False}, df,
                                   {"more": pa.table({"x": [2], "y": ["b"]})})
    assert engine.materialize(result).to_pylist() == [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}]


def test_identifiers_with_quotes_and_spaces_are_safe(engine: Any) -> None:
    frame = pa.table({'we"ird col': [1, None], "select": ["x", "y"]})
    result = apply(engine, "fill_nulls", {"values": {'we"ird col': 9}}, frame)
    assert result.to_pylist() == [{'we"ird col': 1, "select": "x"}, {'we"ird col': 9, "select": "y"}]
    renamed = apply(engine, "rename_columns", {"mapping": {"select": "from"}}, frame)
    assert renamed.column_names == ['we"ird col', "from"]


BAD = [
    pytest.param("filter_rows", {"condition": 5}, "transformer 'filter_rows', param 'condition': expected a "
                 "non-empty SQL string", id="condition not text"),
    pytest.param("select_columns", {"columns": ["order_id", "stauts"]},
                 r"transformer 'select_columns', param 'columns': unknown column 'stauts'; did you mean 'status'\?",
                 id="unknown column with hint"),
    pytest.param("select_columns", {"columns": {"a": 1}}, "param 'columns': expected a name or a list of names",
                 id="columns wrong shape"),
    pytest.param("derive_columns", {"derivations": ["a + 1"]},
                 "param 'derivations': expected a non-empty mapping of names to SQL text", id="derivations list"),
    pytest.param("cast_columns", {"casts": {"amount": "money; DROP TABLE x"}},
                 "param 'casts': 'amount': 'money; DROP TABLE x' is not a type", id="bad cast type"),
    pytest.param("join", {"right_dataset": "customer", "on": "customer_id"},
                 r"param 'right_dataset': unknown dataset 'customer'; did you mean 'customers'\?",
                 id="unknown right dataset"),
    pytest.param("join", {"right_dataset": "customers", "on": "status"},
                 "param 'on': unknown column 'status'.*columns of customers", id="key missing on the right"),
    pytest.param("join", {"right_dataset": "customers", "on": "customer_id", "how": "outer"},
                 "param 'how': expected one of inner, left, right, full, semi, anti", id="bad join kind"),
    pytest.param("sort", {"by": ["order_id", "amount"], "ascending": [True]},
                 "param 'ascending': expected true/false or a list of 2", id="ascending length"),
    pytest.param("union", {"datasets": ["customers"], "by_name": False},
                 "positional union.*needs the same number of columns", id="positional union width"),
    pytest.param("union", {"datasets": ["customers"], "distinct": "yes"}, "param 'distinct': expected true or false",
                 id="flag not bool"),
    pytest.param("drop_columns", {"columns": ["order_id", "customer_id", "amount", "status"]},
                 "dropping every column", id="drop everything"),
    pytest.param("fill_nulls", {"values": {"amount": [1]}}, "param 'values': 'amount': cannot use list",
                 id="fill value not a scalar"),
    pytest.param("deduplicate", {"keys": []}, "param 'keys': expected at least one name", id="no keys"),
    pytest.param("filter_rows", {}, "transformer 'filter_rows' is missing parameter.s. condition", id="missing param"),
    pytest.param("sort", {"by": "amount", "ascendng": True},
                 r"transformer 'sort' has no parameter 'ascendng'; did you mean 'ascending'\?", id="unknown param"),
    pytest.param("filter_row", {"condition": "true"}, r"unknown transformer 'filter_row'; did you mean 'filter_rows'",
                 id="unknown transformer"),
    pytest.param("filter_rows", {"condition": "nope > 1"},
                 r"transformer 'filter_rows' failed: .*nope(.|\n)*tables available: customers, df",
                 id="sql error names the tables"),
]


@pytest.mark.parametrize(("name", "params", "message"), BAD)
def test_bad_params_raise_clear_errors(engine: Any, name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        apply(engine, name, params)


@pytest.mark.parametrize(("value", "sql"), [
    pytest.param(None, "NULL", id="null"),
    pytest.param(True, "TRUE", id="bool"),
    pytest.param(3, "3", id="int"),
    pytest.param(2.5, "2.5", id="float"),
    pytest.param(float("nan"), "'nan'::DOUBLE", id="nan"),
    pytest.param("O'Brien", "'O''Brien'", id="quoted string"),
    pytest.param(dt.date(2024, 1, 2), "DATE '2024-01-02'", id="date"),
])
def test_literal(value: Any, sql: str) -> None:
    assert DUCKDB.literal(value) == sql


def test_ident_escapes_quotes() -> None:
    assert DUCKDB.ident('a"b') == '"a""b"'
