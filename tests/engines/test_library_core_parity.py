"""Odibi's SQL core transformers on the embedded engine and on Spark (Sail and a JVM session), on the same
data: the output a user would see (new or changed columns, in row order by ``id``), and the same rows, types
and errors on every engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from tests.engines.test_engine_parity import embedded, error, frame, rows, shape, spark  # noqa: F401 (fixtures)

DATA = {"id": [1, 2, 3], "Full Name": [" Ann Lee ", "bo  ", None], "email": ["a@x.io", "b@y.io", None],
        "day": [dt.date(2024, 1, 31), dt.date(2024, 2, 29), None],
        "at": [dt.datetime(2024, 3, 10, 1, 30), dt.datetime(2024, 7, 1, 23, 5, 30), None],
        "alt": [None, "z", "w"], "score": [1.5, None, 3.0]}
COLUMNS = list(DATA)
TS1, TS2 = "2024-03-10T01:30:00", "2024-07-01T23:05:30"

# transformer, params, what the user sees: {column: values in id order}, or the error's text
CASES = [
    pytest.param("clean_text", {"columns": ["Full Name", "email"], "case": "upper"},
                 {"Full Name": ["ANN LEE", "BO", None], "email": ["A@X.IO", "B@Y.IO", None]}, id="clean_text"),
    pytest.param("clean_text", {"columns": ["Full Name"], "trim": False, "case": "lower"},
                 {"Full Name": [" ann lee ", "bo  ", None]}, id="clean_text no trim"),
    pytest.param("extract_date_parts", {"source_col": "at", "parts": ["year", "month", "day", "hour"]},
                 {"at_year": [2024, 2024, None], "at_month": [3, 7, None], "at_day": [10, 1, None],
                  "at_hour": [1, 23, None]}, id="extract_date_parts"),
    pytest.param("extract_date_parts", {"source_col": "day", "prefix": "d"},
                 {"d_year": [2024, 2024, None], "d_month": [1, 2, None], "d_day": [31, 29, None]},
                 id="extract_date_parts default parts"),
    pytest.param("normalize_schema", {"rename": {"Full Name": "name"}, "drop": ["alt", "not_there"]},
                 {"name": [" Ann Lee ", "bo  ", None]}, id="normalize_schema"),
    pytest.param("normalize_schema", {"rename": {"Full Name": "name"}, "select_order": ["name", "id"]},
                 {"name": [" Ann Lee ", "bo  ", None], "id": [1, 2, 3]}, id="normalize_schema select_order"),
    pytest.param("limit", {"n": 1, "offset": 1}, {"id": [2]}, id="limit"),
    pytest.param("sample", {"fraction": 1.0}, {"id": [1, 2, 3]}, id="sample all"),
    pytest.param("sample", {"fraction": 0, "seed": 7}, {}, id="sample none"),
    pytest.param("distinct", {"columns": ["alt"]}, {"alt": ["w", "z", None]}, id="distinct columns"),
    pytest.param("distinct", {}, {"id": [1, 2, 3]}, id="distinct rows"),
    pytest.param("split_part", {"col": "email", "delimiter": "@", "index": 2},
                 {"email_part_2": ["x.io", "y.io", None]}, id="split_part"),
    pytest.param("split_part", {"col": "email", "delimiter": ".", "index": 3},
                 {"email_part_3": ["", "", None]}, id="split_part past the end"),
    pytest.param("date_add", {"col": "day", "value": 1, "unit": "month"},
                 {"day_future": ["2024-02-29T00:00:00", "2024-03-29T00:00:00", None]}, id="date_add month"),
    pytest.param("date_add", {"col": "at", "value": -90, "unit": "minute"},
                 {"at_future": ["2024-03-10T00:00:00", "2024-07-01T21:35:30", None]}, id="date_add minutes"),
    pytest.param("date_trunc", {"col": "at", "unit": "month"},
                 {"at_trunc": ["2024-03-01T00:00:00", "2024-07-01T00:00:00", None]}, id="date_trunc"),
    pytest.param("date_diff", {"start_col": "day", "end_col": "at"}, {"diff_day": [39, 123, None]},
                 id="date_diff days"),
    pytest.param("date_diff", {"start_col": "day", "end_col": "at", "unit": "hour"},
                 {"diff_hour": [937.5, 2975.091666667, None]}, id="date_diff hours"),
    pytest.param("date_diff", {"start_col": "day", "end_col": "at", "unit": "second"},
                 {"diff_second": [3375000, 10710330, None]}, id="date_diff seconds"),
    pytest.param("case_when", {"cases": [{"condition": "score > 2", "value": "'high'"},
                                         {"condition": "score IS NULL", "value": "'none'"}],
                               "default": "'low'", "output_col": "band"},
                 {"band": ["low", "none", "high"]}, id="case_when"),
    pytest.param("case_when", {"cases": [{"condition": "id = 1", "value": "'one'"}], "output_col": "n"},
                 {"n": ["one", None, None]}, id="case_when default null"),
    pytest.param("convert_timezone", {"col": "at", "target_tz": "America/New_York"},
                 {"at_converted": ["2024-03-09T20:30:00", "2024-07-01T19:05:30", None]}, id="convert_timezone"),
    pytest.param("convert_timezone", {"col": "at", "source_tz": "Europe/Paris", "target_tz": "UTC",
                                      "output_col": "at_utc"},
                 {"at_utc": ["2024-03-10T00:30:00", "2024-07-01T21:05:30", None]}, id="convert_timezone named"),
    pytest.param("concat_columns", {"columns": ["id", "email"], "separator": "-", "output_col": "key"},
                 {"key": ["1-a@x.io", "2-b@y.io", "3"]}, id="concat_columns"),
    pytest.param("add_prefix", {"prefix": "src_", "exclude": ["id"]}, {"src_email": ["a@x.io", "b@y.io", None]},
                 id="add_prefix"),
    pytest.param("add_suffix", {"suffix": "_old", "columns": ["email"]},
                 {"email_old": ["a@x.io", "b@y.io", None], "alt": [None, "z", "w"]}, id="add_suffix"),
    pytest.param("normalize_column_names", {}, {"full_name": [" Ann Lee ", "bo  ", None]},
                 id="normalize_column_names"),
    pytest.param("coalesce_columns", {"columns": ["alt", "email"], "output_col": "contact"},
                 {"contact": ["a@x.io", "z", "w"], "alt": [None, "z", "w"]}, id="coalesce_columns"),
    pytest.param("coalesce_columns", {"columns": ["alt", "email"], "output_col": "contact", "drop_source": True},
                 {"contact": ["a@x.io", "z", "w"]}, id="coalesce_columns drop_source"),
    pytest.param("replace_values", {"columns": ["alt", "email"], "mapping": {"z": "zed", "a@x.io": None}},
                 {"alt": [None, "zed", "w"], "email": [None, "b@y.io", None]}, id="replace_values"),
    pytest.param("trim_whitespace", {}, {"Full Name": ["Ann Lee", "bo", None], "id": [1, 2, 3]},
                 id="trim_whitespace text columns"),
    pytest.param("trim_whitespace", {"columns": ["Full Name"]}, {"Full Name": ["Ann Lee", "bo", None]},
                 id="trim_whitespace columns"),
    pytest.param("row_number", {"order_by": ["score DESC"]}, {"row_num": [2, 3, 1]}, id="row_number"),
    pytest.param("row_number", {"output": "n", "partition_by": ["alt"], "order_by": ["id"]},
                 {"n": [1, 1, 1]}, id="row_number partitioned"),
    pytest.param("limit", {"n": -1}, "param 'n': expected a whole number >= 0, got -1", id="error: negative limit"),
    pytest.param("clean_text", {"columns": ["email"], "case": "title"}, "param 'case': expected one of", id="error: case choice"),
    pytest.param("date_add", {"col": "at", "value": 1, "unit": "week"}, "param 'unit': expected one of", id="error: unit"),
    pytest.param("split_part", {"col": "mail", "delimiter": "@", "index": 1}, "unknown column 'mail'", id="error: unknown column"),
    pytest.param("normalize_column_names", {"case": "lower"}, "has no parameter 'case'", id="error: unknown param"),
    pytest.param("add_prefix", {"prefix": ""}, "param 'prefix': expected a non-empty", id="error: empty prefix"),
    pytest.param("convert_timezone", {"col": "at", "target_tz": "UTC'; --"}, "is not a time zone name", id="error: time zone"),
]


def transformed(engine: Any, name: str, params: dict[str, Any]) -> tuple[Any, ...]:
    try:
        result, _ = engine.transformer(name, FrozenMap(params), frame(engine, DATA), {})
    except ExecutionError as exc:
        return error(exc)
    return shape(engine, result), rows(engine, result)


def seen(engine: Any, name: str, params: dict[str, Any], expect: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The expected columns' values, in id order (rounded like ``rows``)."""
    result, _ = engine.transformer(name, FrozenMap(params), frame(engine, DATA), {})
    found = sorted(engine.sample(result, 100), key=lambda r: r["id"] if "id" in r else repr(list(r.values())))
    return {c: [round(r[c], 9) if isinstance(r[c], float) else r[c] for r in found] for c in expect}


@pytest.mark.parametrize(("name", "params", "expect"), CASES)
def test_library_core(embedded: Any, spark: Any, name: str, params: dict[str, Any],  # noqa: F811
                      expect: dict[str, list[Any]] | str) -> None:
    ours = transformed(embedded, name, params)
    assert transformed(spark, name, params) == ours
    if isinstance(expect, str):
        assert ours[0] == "error" and expect in ours[1]
    else:
        assert seen(embedded, name, params, expect) == expect
        assert seen(spark, name, params, expect) == expect


def test_errors_are_located(embedded: Any) -> None:  # noqa: F811
    with pytest.raises(ExecutionError, match=r"transformer 'clean_text', param 'case': expected one of lower, "
                                             r"upper, preserve, got 'title'"):
        embedded.transformer("clean_text", FrozenMap({"columns": ["email"], "case": "title"}), frame(embedded, DATA),
                             {})
    with pytest.raises(ExecutionError, match=r"'split_part', param 'col': unknown column 'mail'; did you mean"):
        embedded.transformer("split_part", FrozenMap({"col": "mail", "delimiter": "@", "index": 1}),
                             frame(embedded, DATA), {})


def test_sample_with_a_seed_is_repeatable(embedded: Any, spark: Any) -> None:  # noqa: F811
    big = {"id": list(range(200))}
    for engine in (embedded, spark):
        picks = [rows(engine, engine.transformer("sample", FrozenMap({"fraction": 0.5, "seed": 42}),
                                                 frame(engine, big), {})[0]) for _ in range(2)]
        assert picks[0] == picks[1]
        assert 40 < len(picks[0]) < 160


def test_row_number_without_order_numbers_every_row(embedded: Any, spark: Any) -> None:  # noqa: F811
    for engine in (embedded, spark):
        result, _ = engine.transformer("row_number", FrozenMap({}), frame(engine, DATA), {})
        assert sorted(r["row_num"] for r in engine.sample(result, 10)) == [1, 2, 3]
