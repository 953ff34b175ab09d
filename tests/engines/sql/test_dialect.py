"""The SQL dialects: quoting, literals, type names and the clauses that differ, as exact text (no engine)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from odibi_provider.engines.sql.dialect import DUCKDB, SPARK, Dialect, require_type, split_terms, type_family
from odibi_provider.errors import ExecutionError


@pytest.mark.parametrize(("dialect", "name", "sql"), [
    pytest.param(DUCKDB, "order_id", '"order_id"', id="duckdb plain"),
    pytest.param(DUCKDB, 'a"b', '"a""b"', id="duckdb doubles double quotes"),
    pytest.param(DUCKDB, "a`b c", '"a`b c"', id="duckdb keeps backquotes and spaces"),
    pytest.param(SPARK, "order_id", "`order_id`", id="spark plain"),
    pytest.param(SPARK, "a`b", "`a``b`", id="spark doubles backquotes"),
    pytest.param(SPARK, 'a"b c', '`a"b c`', id="spark keeps double quotes and spaces"),
])
def test_ident(dialect: Dialect, name: str, sql: str) -> None:
    assert dialect.ident(name) == sql


LITERALS = [
    pytest.param(None, "NULL", "NULL", id="null"),
    pytest.param(True, "TRUE", "TRUE", id="true"),
    pytest.param(False, "FALSE", "FALSE", id="false"),
    pytest.param(3, "3", "3", id="int"),
    pytest.param(2.5, "2.5", "2.5", id="float"),
    pytest.param(Decimal("1.10"), "1.10", "1.10", id="decimal"),
    pytest.param(float("nan"), "'nan'::DOUBLE", "CAST('nan' AS DOUBLE)", id="nan"),
    pytest.param(float("-inf"), "'-inf'::DOUBLE", "CAST('-inf' AS DOUBLE)", id="minus infinity"),
    pytest.param("it's", "'it''s'", "'it\\'s'", id="quote"),
    pytest.param("a\\d", "'a\\d'", "'a\\\\d'", id="backslash (escaped only on spark)"),
    pytest.param("\\'; DROP TABLE x; --", "'\\''; DROP TABLE x; --'", "'\\\\\\'; DROP TABLE x; --'",
                 id="backslash before a quote stays inside the string"),
    pytest.param(dt.date(2024, 1, 2), "DATE '2024-01-02'", "DATE '2024-01-02'", id="date"),
    pytest.param(dt.datetime(2024, 1, 2, 3, 4, 5), "TIMESTAMP '2024-01-02 03:04:05'",
                 "TIMESTAMP '2024-01-02 03:04:05'", id="timestamp"),
]


@pytest.mark.parametrize(("value", "duckdb", "spark"), LITERALS)
def test_literal(value: Any, duckdb: str, spark: str) -> None:
    assert (DUCKDB.literal(value), SPARK.literal(value)) == (duckdb, spark)


@pytest.mark.parametrize("value", [[1], {"a": 1}, object()], ids=["list", "mapping", "object"])
def test_literal_refuses_non_scalars(value: Any) -> None:
    with pytest.raises(TypeError, match="cannot use .* as a SQL literal"):
        DUCKDB.literal(value)


def test_argument_renders_lists_and_mappings() -> None:
    value = {"a": ["x", 1], "b's": True}
    assert DUCKDB.argument(value) == "{'a': ['x', 1], 'b''s': TRUE}"
    assert SPARK.argument(value) == "named_struct('a', array('x', 1), 'b\\'s', TRUE)"


@pytest.mark.parametrize(("name", "duckdb", "spark"), [
    pytest.param("str", "VARCHAR", "STRING", id="str"),
    pytest.param("object", "VARCHAR", "STRING", id="object"),
    pytest.param("varchar", "VARCHAR", "STRING", id="varchar (spark needs a length)"),
    pytest.param("int", "BIGINT", "BIGINT", id="int is pandas' 64-bit int"),
    pytest.param("integer", "INTEGER", "INT", id="integer is SQL's 32-bit INTEGER"),
    pytest.param("Int64", "BIGINT", "BIGINT", id="int64 any case"),
    pytest.param("float", "DOUBLE", "DOUBLE", id="float"),
    pytest.param("float32", "FLOAT", "FLOAT", id="float32"),
    pytest.param(" bool ", "BOOLEAN", "BOOLEAN", id="bool, spaces trimmed"),
    pytest.param("datetime64[ns]", "TIMESTAMP", "TIMESTAMP", id="pandas datetime"),
    pytest.param("DECIMAL(10, 2)", "DECIMAL(10, 2)", "DECIMAL(10, 2)", id="sql type passes through"),
    pytest.param("INTEGER[]", "INTEGER[]", None, id="duckdb list type"),
    pytest.param("money; DROP TABLE x", None, None, id="not a type"),
    pytest.param("DOUBLE)--", None, None, id="unbalanced"),
])
def test_type_name(name: str, duckdb: str | None, spark: str | None) -> None:
    assert (DUCKDB.type_name(name), SPARK.type_name(name)) == (duckdb, spark)


def test_require_type_explains() -> None:
    assert require_type(SPARK, "str") == "STRING"
    with pytest.raises(ExecutionError, match=r"'x y;' is not a type; use a SQL type \(BIGINT, DOUBLE"):
        require_type(DUCKDB, "x y;")


@pytest.mark.parametrize(("type_name", "family"), [
    pytest.param("VARCHAR", "text", id="duckdb varchar"), pytest.param("string", "text", id="spark string"),
    pytest.param("varchar(10)", "text", id="spark varchar(n)"), pytest.param("BIGINT", "integer", id="bigint"),
    pytest.param("int", "integer", id="spark int"), pytest.param("UTINYINT", "integer", id="unsigned"),
    pytest.param("DECIMAL(10,2)", "number", id="decimal"), pytest.param("double", "number", id="double"),
    pytest.param("BOOLEAN", "boolean", id="boolean"), pytest.param("DATE", "date", id="date"),
    pytest.param("TIMESTAMP WITH TIME ZONE", "timestamp", id="duckdb timestamptz"),
    pytest.param("timestamp_ntz", "timestamp", id="spark timestamp_ntz"),
    pytest.param("INTEGER[]", "other", id="duckdb list"), pytest.param("array<int>", "other", id="spark array"),
    pytest.param("STRUCT(a INTEGER)", "other", id="struct"), pytest.param("interval", "other", id="interval"),
])
def test_type_family(type_name: str, family: str) -> None:
    assert type_family(type_name) == family


IN_VALUES = [
    pytest.param("BIGINT", [1, "2", 3.0, "x", 2.5, True, "1e2"], '"c" IN (1, 2, 3, 100)', "`c` IN (1, 2, 3, 100)",
                 id="integer: numbers and numeric text; text, fractions and booleans can never match"),
    pytest.param("DOUBLE", ["2.50", 1, "nan", "x"], '"c" IN (2.50, 1)', "`c` IN (2.50, 1)", id="number"),
    pytest.param("BIGINT", ["x", "y"], None, None, id="nothing can match"),
    pytest.param("VARCHAR", ["it's", 1, True], "\"c\" IN ('it''s', '1', 'true')", "`c` IN ('it\\'s', '1', 'true')",
                 id="text: every value as text, booleans lower-case"),
    pytest.param("BOOLEAN", [True, "FALSE", "yes"], '"c" IN (TRUE, FALSE)', "`c` IN (TRUE, FALSE)", id="boolean"),
    pytest.param("DATE", [dt.date(2024, 1, 2), "nope"],
                 "\"c\" IN (TRY_CAST('2024-01-02' AS DATE), TRY_CAST('nope' AS DATE))",
                 "`c` IN (TRY_CAST('2024-01-02' AS DATE), TRY_CAST('nope' AS DATE))", id="date: cast, null if not one"),
    pytest.param("STRUCT(a INTEGER)", ["{'a': 1}"], "CAST(\"c\" AS VARCHAR) IN ('{''a'': 1}')",
                 "CAST(`c` AS STRING) IN ('{\\'a\\': 1}')", id="other types compare as text"),
]


@pytest.mark.parametrize(("type_name", "values", "duckdb", "spark"), IN_VALUES)
def test_in_values_are_typed(type_name: str, values: list[Any], duckdb: str | None, spark: str | None) -> None:
    assert DUCKDB.in_values('"c"', type_name, values) == duckdb
    assert SPARK.in_values("`c`", type_name, values) == spark


def test_order_by_sorts_nulls_last_where_the_dialect_does_not() -> None:
    terms = "a DESC, coalesce(b, 1), c ASC NULLS FIRST, 'x,y'"
    assert DUCKDB.order_by(terms) == terms
    assert SPARK.order_by(terms) == "a DESC NULLS LAST, coalesce(b, 1) NULLS LAST, c ASC NULLS FIRST, 'x,y' NULLS LAST"


def test_split_terms_respects_nesting_and_quotes() -> None:
    assert split_terms("f(a, b), `x,y` DESC, \"p,q\", [1, 2] ,") == ["f(a, b)", "`x,y` DESC", '"p,q"', "[1, 2]"]


def test_expressions_that_differ() -> None:
    assert DUCKDB.regex_match(DUCKDB.as_text('"e"'), "'^a'") == "regexp_matches(CAST(\"e\" AS VARCHAR), '^a')"
    assert SPARK.regex_match(SPARK.as_text("`e`"), "'^a'") == "CAST(`e` AS STRING) RLIKE '^a'"
    assert DUCKDB.count_if("f") == SPARK.count_if("f") == "count_if(f)"
    assert (DUCKDB.semi_join, DUCKDB.anti_join) == ("SEMI JOIN", "ANTI JOIN")
    assert (SPARK.semi_join, SPARK.anti_join) == ("LEFT SEMI JOIN", "LEFT ANTI JOIN")


def test_qualify() -> None:
    condition = "row_number() OVER (PARTITION BY k) = 1"
    assert DUCKDB.qualify("df", ["k", "v"], condition) == f"SELECT * FROM df QUALIFY {condition}"
    assert SPARK.qualify("df", ["k", "v"], condition) == (
        f"SELECT `k`, `v` FROM (SELECT *, {condition} AS `__odibi_keep` FROM df) AS kept WHERE `__odibi_keep`")


def test_select_except() -> None:
    assert DUCKDB.select_except(["a", 'b"', "c"], ['b"']) == '* EXCLUDE ("b""")'
    assert SPARK.select_except(["a", "b`", "c"], ["b`"]) == "`a`, `c`"


def test_union_by_name() -> None:
    sources = {"df": ["k", "v"], "more": ["V", "w"]}
    types = {"df": {"k": "bigint", "v": "string"}, "more": {"V": "string", "w": "double"}}
    assert DUCKDB.union_by_name(sources, types, "UNION ALL") == 'SELECT * FROM df UNION ALL BY NAME SELECT * FROM "more"'
    assert SPARK.union_by_name(sources, types, "UNION") == (
        "SELECT `k`, `v`, CAST(NULL AS double) AS `w` FROM df UNION "
        "SELECT CAST(NULL AS bigint) AS `k`, `V`, `w` FROM `more`")


def test_the_sql_layer_imports_no_engine() -> None:
    code = ("import sys, odibi_provider.engines.sql.transformers, odibi_provider.engines.sql.validation, "
            "odibi_provider.engines.options, odibi_provider.engines.writes\n"
            "print(sorted(m for m in ('duckdb', 'pyarrow', 'pyspark', 'pandas', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
