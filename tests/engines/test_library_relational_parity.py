"""Parity: Odibi's relational and advanced library transformers on the embedded engine and on Spark (Sail
and a JVM session), on the same small data: the same columns, rows and errors (helpers from the built-in
parity test)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from odibi_provider.engines import get_engine
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from tests.engines.conftest import spark_engine
from tests.engines.test_engine_parity import error, frame, rows, shape

EVENTS = {
    "user": ["a", "a", "a", "b", "c"],
    "ts": [dt.datetime(2024, 1, 1, 0, 0), dt.datetime(2024, 1, 1, 0, 10), dt.datetime(2024, 1, 1, 2, 0),
           dt.datetime(2024, 1, 1, 0, 0), dt.datetime(2024, 1, 2, 9, 30)],
    "ended": [dt.datetime(2024, 1, 1, 1, 30), dt.datetime(2024, 1, 1, 0, 20), None, dt.datetime(2024, 1, 2, 7, 0),
              dt.datetime(2024, 1, 2, 9, 0)],
    "amount": [1.0, 2.0, None, 4.0, 5.5],
    "qty": [1.5, 2.0, 3.0, None, 1.0],
    "tags": [[1, 2], [], None, [3], [4]],
    "payload": ['{"id": 1, "kind": "x"}', None, '{"id": 2}', "{}", '{"id": 3, "kind": "it\'s"}'],
    "code": ["A", "B", "C", None, "B"],
    "phone": ["(555) 010-1", "555.0102", None, "n/a", "5550103"],
    "address": [{"city": "Oslo", "zip": 1, "geo": {"lat": 59.9, "lon": 10.7}},
                {"city": "Rome", "zip": 2, "geo": None}, None, {"city": None, "zip": 4, "geo": {"lat": 1.0, "lon": None}},
                {"city": "Lima", "zip": 5, "geo": {"lat": -12.0, "lon": -77.0}}],
    "line": [7, 8, None, 9, 10],
}
CODES = {"key": ["A", "B", "B", "D"], "label": ["alpha", "bee", "beta", "delta"]}
PEOPLE = {"user": ["a", "b", "z"], "amount": [10.0, 20.0, 30.0]}

LIBRARY = [
    pytest.param("pivot", {"group_by": ["user"], "pivot_col": "code", "agg_col": "amount", "values": ["A", "B"]},
                 id="pivot sum"),
    pytest.param("pivot", {"group_by": "user", "pivot_col": "code", "agg_col": "qty", "agg_func": "first",
                           "values": ["B", "Z"]}, id="pivot first, a value that never occurs"),
    pytest.param("pivot", {"group_by": ["user"], "pivot_col": "code", "agg_col": "qty", "agg_func": "count",
                           "values": ["A", "B", "C"]}, id="pivot count"),
    pytest.param("unpivot", {"id_cols": ["user"], "value_vars": ["amount", "qty"]}, id="unpivot"),
    pytest.param("unpivot", {"id_cols": ["user", "ts"], "value_vars": ["code"], "var_name": "field",
                             "value_name": "v"}, id="unpivot names"),
    pytest.param("explode_list_column", {"column": "tags"}, id="explode drops empty and null lists"),
    pytest.param("explode_list_column", {"column": "tags", "outer": True}, id="explode outer keeps them"),
    pytest.param("dict_based_mapping", {"column": "code", "mapping": {"A": "alpha", "B": "bee"}},
                 id="dict mapping in place, unmatched null"),
    pytest.param("dict_based_mapping", {"column": "code", "mapping": {"A": 1, "B": 2}, "default": 0,
                                        "output_column": "code_n"}, id="dict mapping default to a new column"),
    pytest.param("regex_replace", {"column": "phone", "pattern": "[^0-9]", "replacement": ""}, id="regex_replace"),
    pytest.param("unpack_struct", {"column": "address"}, id="unpack_struct"),
    pytest.param("flatten_struct", {"column": "address"}, id="flatten_struct one level"),
    pytest.param("flatten_struct", {"column": "address", "depth": 2, "prefix": "", "separator": ".",
                                    "drop_source": False}, id="flatten_struct two levels, kept"),
    pytest.param("normalize_json", {"column": "address", "sep": "__"}, id="normalize_json every level"),
    pytest.param("flatten_struct", {"column": "code"}, id="error: not a struct"),
    pytest.param("hash_columns", {"columns": ["code", "user"]}, id="hash sha256"),
    pytest.param("hash_columns", {"columns": "phone", "algorithm": "md5"}, id="hash md5"),
    pytest.param("generate_surrogate_key", {"columns": ["user", "code"]}, id="surrogate key"),
    pytest.param("generate_surrogate_key", {"columns": ["code", "user"], "separator": "|", "output_col": "sk"},
                 id="surrogate key named"),
    pytest.param("generate_numeric_key", {"columns": ["user", "code"]}, id="numeric key"),
    pytest.param("generate_numeric_key", {"columns": ["code"], "coalesce_with": "line", "output_col": "nk"},
                 id="numeric key coalesced"),
    pytest.param("parse_json", {"column": "payload", "json_schema": "id BIGINT, kind STRING"}, id="parse_json"),
    pytest.param("parse_json", {"column": "payload", "json_schema": "id INT", "output_col": "payload"},
                 id="parse_json in place"),
    pytest.param("validate_and_flag", {"rules": {"positive": "amount > 1", "has_code": "code IS NOT NULL"}},
                 id="validate_and_flag"),
    pytest.param("window_calculation", {"target_col": "running", "function": "sum(amount)",
                                        "partition_by": ["user"], "order_by": "ts"}, id="window running sum"),
    pytest.param("window_calculation", {"target_col": "rank", "function": "rank()", "order_by": "amount DESC"},
                 id="window rank, nulls last"),
    pytest.param("sessionize", {"timestamp_col": "ts", "user_col": "user"}, id="sessionize 30 minutes"),
    pytest.param("sessionize", {"timestamp_col": "ts", "user_col": "user", "threshold_seconds": 300,
                                "session_col": "visit"}, id="sessionize 5 minutes"),
    pytest.param("apply_mapping", {"column": "code", "mapping_source": "codes", "source_key": "key",
                                   "source_value": "label"}, id="apply_mapping first label per key"),
    pytest.param("apply_mapping", {"column": "code", "mapping_source": "codes", "source_key": "key",
                                   "source_value": "label", "output": "label", "default": "?"},
                 id="apply_mapping default to a new column"),
    pytest.param("split_events_by_period", {"start_col": "ts", "end_col": "ended", "duration_col": "minutes"},
                 id="split by day"),
    pytest.param("split_events_by_period", {"start_col": "ts", "end_col": "ended", "period": "hour"},
                 id="split by hour"),
    pytest.param("split_events_by_period", {"start_col": "ts", "end_col": "ended", "period": "shift",
                                            "duration_col": "minutes",
                                            "shifts": [{"name": "day", "start": "06:00", "end": "18:00"},
                                                       {"name": "night", "start": "18:00", "end": "06:00"}]},
                 id="split by shift, one past midnight"),
    pytest.param("join", {"right_dataset": "people", "on": "user", "how": "left", "prefix": "p"},
                 id="join with Odibi's prefix"),
    pytest.param("join", {"right_dataset": "codes", "how": "cross"}, id="join cross"),
    pytest.param("aggregate", {"group_by": ["user"], "aggregations": {"amount": "sum", "qty": "max"}},
                 id="aggregate Odibi form"),
    pytest.param("pivot", {"group_by": ["user"], "pivot_col": "code", "agg_col": "amount", "agg_func": "median",
                           "values": ["A"]}, id="error: agg_func"),
    pytest.param("sessionize", {"timestamp_col": "ts", "user_col": "usr"}, id="error: unknown column"),
    pytest.param("hash_columns", {"columns": ["code"], "algo": "md5"}, id="error: unknown param"),
    pytest.param("parse_json", {"column": "payload", "json_schema": "id, kind STRING"}, id="error: schema type"),
    pytest.param("join", {"right_dataset": "codes", "how": "cross", "on": "code"}, id="error: cross join keys"),
]
# what each error case says (the same on every engine)
ERRORS = {
    "agg_func": "param 'agg_func': expected one of sum, count, avg, max, min, first, got 'median'",
    "unknown column": "param 'user_col': unknown column 'usr'; did you mean 'user'?",
    "unknown param": "transformer 'hash_columns' has no parameter 'algo'; did you mean 'algorithm'?",
    "schema type": "param 'json_schema': field 'id' has no type",
    "cross join keys": "param 'on': a cross join has no keys",
    "not a struct": "param 'column': 'code' is not a struct column",
}


def transformed(engine: Any, name: str, params: dict[str, Any]) -> tuple[Any, ...]:
    relations = {"codes": frame(engine, CODES), "people": frame(engine, PEOPLE)}
    try:
        result, _ = engine.transformer(name, FrozenMap(params), frame(engine, EVENTS), relations)
        return shape(engine, result), rows(engine, result)
    except ExecutionError as exc:
        return error(exc)


@pytest.fixture(params=["sail", "jvm"])
def engines(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """The embedded engine and the Spark engine on one of the sessions."""
    return get_engine("pandas"), spark_engine(request.getfixturevalue(f"{request.param}_session"))


@pytest.mark.parametrize(("name", "params"), LIBRARY)
def test_library_transformer_parity(engines: tuple[Any, Any], name: str, params: dict[str, Any],
                                    request: pytest.FixtureRequest) -> None:
    embedded, spark = engines
    expected = transformed(embedded, name, params)
    assert transformed(spark, name, params) == expected
    if "error: " in request.node.name:
        assert expected[0] == "error" and ERRORS[request.node.name.split("error: ")[1][:-1]] in expected[1]
    else:
        assert expected[0] != "error", expected
        assert expected[1], f"{name}: the case should produce rows"


def test_what_a_user_sees() -> None:
    """Spot checks of the values Odibi documents, on the embedded engine (parity covers Spark)."""
    embedded = get_engine("pandas")

    def values(name: str, params: dict[str, Any], column: str) -> list[Any]:
        result, _ = embedded.transformer(name, FrozenMap(params), frame(embedded, EVENTS),
                                         {"codes": frame(embedded, CODES)})
        found = sorted(embedded.sample(result, 100), key=lambda r: (r["user"], r["ts"]))
        return [r[column] for r in found]

    assert values("sessionize", {"timestamp_col": "ts", "user_col": "user"}, "session_id") == [
        "a-1", "a-1", "a-2", "b-1", "c-1"]
    assert values("validate_and_flag", {"rules": {"positive": "amount > 1", "has_code": "code IS NOT NULL"}},
                  "_issues") == ["positive", None, None, "has_code", None]
    assert values("apply_mapping", {"column": "code", "mapping_source": "codes", "source_key": "key",
                                    "source_value": "label"}, "code") == ["alpha", "bee", None, None, "bee"]
    keys = values("generate_surrogate_key", {"columns": ["user", "code"]}, "surrogate_key")
    import hashlib
    assert keys[0] == hashlib.md5(b"a-A").hexdigest() and keys[3] == hashlib.md5(b"b-").hexdigest()
    assert values("split_events_by_period", {"start_col": "ts", "end_col": "ended", "period": "shift",
                                             "duration_col": "minutes",
                                             "shifts": [{"name": "day", "start": "06:00", "end": "18:00"},
                                                        {"name": "night", "start": "18:00", "end": "06:00"}]},
                  "minutes") == [90.0, 10.0, 360.0, 720.0, 720.0, 60.0]  # b: night, day, night, day
    numeric = values("generate_numeric_key", {"columns": ["user", "code"]}, "numeric_key")
    assert numeric[0] == int(hashlib.md5(b"a|A").hexdigest()[:15], 16)


PROJECT = """
project: library
connections:
  raw: {type: local, base_path: data}
story: {connection: raw, path: stories}
system: {connection: raw, path: _system}
pipelines:
  - pipeline: silver
    nodes:
      - name: codes
        read: {connection: raw, format: csv, path: codes.csv}
      - name: sales
        depends_on: [codes]
        read: {connection: raw, format: csv, path: sales.csv}
        transformer: apply_mapping
        params: {column: code, mapping_source: codes, source_key: key, source_value: label, default: other}
        transform:
          steps:
            - function: pivot
              params: {group_by: [region], pivot_col: code, agg_col: amount, values: [alpha, other]}
            - function: generate_surrogate_key
              params: {columns: [region], output_col: region_key}
        write: {connection: raw, format: parquet, path: out/sales.parquet, mode: overwrite}
"""


@pytest.mark.parametrize("engine", ["pandas", "spark"])
def test_project_runs_library_transformers_as_transformer_and_function_steps(
        tmp_path: Any, engine: str, request: pytest.FixtureRequest) -> None:
    """Odibi's spelling: a library transformer as the node's ``transformer:`` and as ``function:`` steps."""
    import hashlib

    import pyarrow.parquet as pq

    from odibi_provider.runner import run_project

    if engine == "spark":
        spark_engine(request.getfixturevalue("sail_session"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "codes.csv").write_text("key,label\nA,alpha\n", encoding="utf-8")
    (tmp_path / "data" / "sales.csv").write_text("region,code,amount\neu,A,1\neu,B,2\nus,A,3\nus,A,4\n",
                                                 encoding="utf-8")
    (tmp_path / "odibi.yaml").write_text(PROJECT, encoding="utf-8")
    result = run_project(tmp_path / "odibi.yaml", engine=engine)
    assert result.ok, result
    table = pq.read_table(tmp_path / "data" / "out" / "sales.parquet")
    found = sorted(tuple(r.values()) for r in table.to_pylist())
    assert found == [("eu", 1, 2, hashlib.md5(b"eu").hexdigest()), ("us", 7, None, hashlib.md5(b"us").hexdigest())]
