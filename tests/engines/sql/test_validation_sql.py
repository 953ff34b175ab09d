"""Validation tests compiled to SQL, exactly, in both dialects; the queries a Suite writes; outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.engines.sql.dialect import DUCKDB, SPARK
from odibi_provider.engines.sql.validation import Suite, compile_check, outcome
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import TestSpec as Spec

DUCK_SCHEMA = {"id": "BIGINT", "status": "VARCHAR", "amount": "DOUBLE", "day": "DATE", "ok": "BOOLEAN"}
SPARK_SCHEMA = {"id": "bigint", "status": "string", "amount": "double", "day": "date", "ok": "boolean"}


def spec(type_: str, name: str | None = None, on_fail: str = "warn", **args: Any) -> Spec:
    return Spec(type=type_, name=name or type_, on_fail=on_fail, args=FrozenMap(args))


FLAGS = [  # (test, DuckDB flag, Spark flag, subject)
    pytest.param(spec("not_null", columns=["id", "STATUS"]), '("id" IS NULL OR "status" IS NULL)',
                 "(`id` IS NULL OR `status` IS NULL)", "nulls in id, status", id="not_null"),
    pytest.param(spec("unique", columns="id"), '(count(*) OVER (PARTITION BY "id") > 1)',
                 "(count(*) OVER (PARTITION BY `id`) > 1)", "a duplicate id", id="unique"),
    pytest.param(spec("unique", columns=["id", "day"]), '(count(*) OVER (PARTITION BY "id", "day") > 1)',
                 "(count(*) OVER (PARTITION BY `id`, `day`) > 1)", "a duplicate (id, day)", id="unique composite"),
    pytest.param(spec("accepted_values", column="id", values=[1, "2", "x", None]),
                 '("id" IS NOT NULL AND NOT coalesce("id" IN (1, 2), false))',
                 "(`id` IS NOT NULL AND NOT coalesce(`id` IN (1, 2), false))", "id outside the accepted values 1, 2, x",
                 id="accepted_values: a string that is no integer never matches"),
    pytest.param(spec("accepted_values", column="id", values=["x"]), '("id" IS NOT NULL)', "(`id` IS NOT NULL)",
                 "id outside the accepted values x", id="accepted_values: no value can match"),
    pytest.param(spec("accepted_values", column="status", values=["it's", True]),
                 """("status" IS NOT NULL AND NOT coalesce("status" IN ('it''s', 'true'), false))""",
                 "(`status` IS NOT NULL AND NOT coalesce(`status` IN ('it\\'s', 'true'), false))",
                 "status outside the accepted values it's, True", id="accepted_values text"),
    pytest.param(spec("accepted_values", column="day", values=["2024-01-02"]),
                 """("day" IS NOT NULL AND NOT coalesce("day" IN (TRY_CAST('2024-01-02' AS DATE)), false))""",
                 "(`day` IS NOT NULL AND NOT coalesce(`day` IN (TRY_CAST('2024-01-02' AS date)), false))",
                 "day outside the accepted values 2024-01-02", id="accepted_values date"),
    pytest.param(spec("accepted_values", column="ok", values=[True]),
                 '("ok" IS NOT NULL AND NOT coalesce("ok" IN (TRUE), false))',
                 "(`ok` IS NOT NULL AND NOT coalesce(`ok` IN (TRUE), false))", "ok outside the accepted values True",
                 id="accepted_values boolean"),
    pytest.param(spec("range", column="amount", min=0, max=10.5),
                 'coalesce(("amount" < 0 OR "amount" > 10.5), false)',
                 "coalesce((`amount` < 0 OR `amount` > 10.5), false)", "amount outside [0, 10.5]", id="range"),
    pytest.param(spec("range", column="amount"), "false", "false", "amount outside [-inf, inf]", id="range unbounded"),
    pytest.param(spec("regex_match", column="status", pattern="^it's\\d$"),
                 """coalesce(NOT (regexp_matches(CAST("status" AS VARCHAR), '^it''s\\d$')), false)""",
                 "coalesce(NOT (CAST(`status` AS STRING) RLIKE '^it\\'s\\\\d$'), false)",
                 "status not matching \"^it's\\\\d$\"", id="regex_match escapes the pattern per dialect"),
    pytest.param(spec("custom_sql", condition="amount < 5"), "(NOT coalesce((amount < 5), false))",
                 "(NOT coalesce((amount < 5), false))", "the condition `amount < 5` false or null", id="custom_sql"),
]


@pytest.mark.parametrize(("test", "duckdb", "spark", "subject"), FLAGS)
def test_flags(test: Spec, duckdb: str, spark: str, subject: str) -> None:
    duck, spk = compile_check(DUCKDB, test, DUCK_SCHEMA), compile_check(SPARK, test, SPARK_SCHEMA)
    assert (duck.flag, spk.flag) == (duckdb, spark)
    assert duck.subject == spk.subject == subject


def test_listing_queries() -> None:
    rows = spec("not_null", columns="id")
    assert compile_check(DUCKDB, rows, DUCK_SCHEMA).sql == 'SELECT * FROM df WHERE ("id" IS NULL)'
    assert compile_check(SPARK, rows, SPARK_SCHEMA).sql == "SELECT * FROM df WHERE (`id` IS NULL)"
    window = spec("unique", columns="id")
    assert compile_check(DUCKDB, window, DUCK_SCHEMA).sql == (
        'SELECT * FROM df QUALIFY (count(*) OVER (PARTITION BY "id") > 1)')
    assert compile_check(SPARK, window, SPARK_SCHEMA).sql == (
        "SELECT `id`, `status`, `amount`, `day`, `ok` FROM (SELECT *, (count(*) OVER (PARTITION BY `id`) > 1) "
        "AS `__odibi_keep` FROM df) AS kept WHERE `__odibi_keep`")
    assert compile_check(SPARK, spec("row_count", min=1), SPARK_SCHEMA).sql == "SELECT count(*) FROM df"


@pytest.mark.parametrize(("condition", "window", "ordered"), [
    pytest.param("amount > 0", False, True, id="plain"),
    pytest.param("amount <= 2 * avg(amount) OVER ()", True, False, id="window"),
    pytest.param("amount <= (SELECT max(amount) FROM df)", False, False, id="subquery"),
])
def test_custom_sql_windows_and_subqueries(condition: str, window: bool, ordered: bool) -> None:
    check = compile_check(DUCKDB, spec("custom_sql", condition=condition), DUCK_SCHEMA)
    assert (check.window, check.ordered) == (window, ordered)


def suite(dialect: Any, schema: dict[str, str]) -> Suite:
    return Suite.compile(dialect, [spec("not_null", "has id", "quarantine", columns="id"), spec("row_count", min=1),
                                   spec("unique", "one", columns="id"),
                                   spec("range", "it's positive", "quarantine", column="amount", min=0)], schema)


def test_suite_queries_duckdb() -> None:
    s = suite(DUCKDB, DUCK_SCHEMA)
    flags = ('("id" IS NULL) AS "__odibi_0", (count(*) OVER (PARTITION BY "id") > 1) AS "__odibi_1", '
             'coalesce(("amount" < 0), false) AS "__odibi_2"')
    assert [c.spec.name for c in s.rows] == ["has id", "one", "it's positive"] and s.quarantine == [0, 2]
    assert not s.ordered
    assert s.flags_query() == f"SELECT {flags} FROM df"
    assert s.count_query() == (
        'SELECT count(*) AS "__odibi_rows", count_if("__odibi_0") AS "__odibi_n0", count_if("__odibi_1") AS '
        '"__odibi_n1", count_if("__odibi_2") AS "__odibi_n2", count_if("__odibi_0" OR "__odibi_2") AS "__odibi_n3" '
        f"FROM (SELECT {flags} FROM df) AS flags")
    assert s.split_query(["id", "amount"], [1, 0, 2]) == (
        'SELECT "id", "amount", ("__odibi_0" OR "__odibi_2") AS "__odibi_quarantine", concat_ws(\', \', CASE WHEN '
        '"__odibi_0" THEN \'has id\' END, CASE WHEN "__odibi_2" THEN \'it\'\'s positive\' END) AS '
        f'"_odibi_failed_tests" FROM (SELECT *, {flags} FROM df) AS flagged')


def test_suite_queries_spark() -> None:
    s = suite(SPARK, SPARK_SCHEMA)
    assert s.count_query().startswith("SELECT count(*) AS `__odibi_rows`, count_if(`__odibi_0`) AS `__odibi_n0`")
    assert s.failed_names([0, 3, 1]) == (
        "concat_ws(', ', CASE WHEN `__odibi_1` THEN 'one' END, CASE WHEN `__odibi_2` THEN 'it\\'s positive' END)")
    assert s.side_query(["id"], quarantined=True) == (
        "SELECT `id`, `_odibi_failed_tests` FROM df WHERE `__odibi_quarantine`")
    assert s.side_query(["id"], quarantined=False) == "SELECT `id` FROM df WHERE NOT `__odibi_quarantine`"
    assert s.keep(["id", "_odibi_failed_tests"]) == ["id"]


def test_counts_and_outcomes() -> None:
    s = suite(DUCKDB, DUCK_SCHEMA)
    total, counts, moved = s.counts([5, 1, None, 2, 3])
    assert (total, counts, moved) == (5, [1, 0, 2], 3)
    messages = [o.message for o in s.outcomes(counts, total)]
    assert messages == ["1 row has nulls in id", "row count 5 is within [1, inf]", "no rows have a duplicate id",
                        "2 rows have amount outside [0, inf]"]
    assert Suite.compile(DUCKDB, [], DUCK_SCHEMA).count_query() == 'SELECT count(*) AS "__odibi_rows" FROM df'
    assert Suite.compile(DUCKDB, [], DUCK_SCHEMA).counts([7]) == (7, [], 0)


@pytest.mark.parametrize(("args", "passed", "message"), [
    pytest.param({"min": 6}, False, "row count 5 is below the minimum 6", id="below"),
    pytest.param({"max": 4}, False, "row count 5 is above the maximum 4", id="above"),
    pytest.param({"min": 1, "max": 5}, True, "row count 5 is within [1, 5]", id="within"),
])
def test_row_count_outcome(args: dict[str, Any], passed: bool, message: str) -> None:
    result = outcome(compile_check(SPARK, spec("row_count", **args), SPARK_SCHEMA), 0, 5)
    assert (result.passed, result.failed_rows, result.message) == (passed, 0, message)


@pytest.mark.parametrize(("test", "message"), [
    pytest.param(spec("not_null", "ids", columns=["amont"]),
                 r"validation test 'ids' \(not_null\): unknown column 'amont'; did you mean 'amount'\?", id="unknown column"),
    pytest.param(spec("not_null", "ids", columns=[]), "'columns' must name a column", id="no columns"),
    pytest.param(spec("accepted_values", "st", column="status", values="paid"),
                 r"'values' must be a list of values, got 'paid'", id="values not a list"),
    pytest.param(spec("range", "r", column="amount", max=True), "'max' must be a number, got True", id="bool bound"),
    pytest.param(spec("regex_match", "x", column="status"), "'pattern' must be a regular expression, got None",
                 id="no pattern"),
    pytest.param(spec("not_nul", "x", columns=["id"]), r"unknown type 'not_nul'; did you mean 'not_null'\?",
                 id="unknown type"),
])
def test_errors_name_the_test_in_both_dialects(test: Spec, message: str) -> None:
    for dialect, schema in ((DUCKDB, DUCK_SCHEMA), (SPARK, SPARK_SCHEMA)):
        with pytest.raises(ExecutionError, match=message):
            compile_check(dialect, test, schema)


def test_a_broken_query_is_blamed_on_its_test() -> None:
    s = Suite.compile(DUCKDB, [spec("not_null", "fine", columns="id"), spec("custom_sql", "bad", condition="nope")],
                      DUCK_SCHEMA)

    def run(query: str) -> None:
        if "nope" in query:
            raise ExecutionError("Binder Error: column nope not found")

    with pytest.raises(ExecutionError, match=r"validation test 'bad' \(custom_sql\) could not run: Binder Error"):
        s.run(s.count_query(), run)
