"""The built-in transformers' SQL, exactly, in both dialects (no engine runs: golden text)."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.engines.sql.dialect import DUCKDB, SPARK
from odibi_provider.engines.sql.transformers import TRANSFORMERS, build_sql
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.builtins import BUILTIN_TRANSFORMERS
from tests.engines.sql.test_library_core_sql import GOLDEN as CORE_GOLDEN
from tests.engines.sql.test_library_relational_sql import GOLDEN as RELATIONAL_GOLDEN

COLUMNS = ["id", "name", "amount"]
RELATIONS = {"other": ["ID", "extra"]}
TYPES = {"df": {"id": "bigint", "name": "string", "amount": "double"}, "other": {"ID": "bigint", "extra": "string"}}


def sql(dialect: Any, name: str, params: dict[str, Any], columns: list[str] = COLUMNS) -> str:
    return build_sql(dialect, name, params, columns, RELATIONS, TYPES)


GOLDEN = [
    pytest.param("filter_rows", {"condition": "amount > 0"},
                 "SELECT * FROM df WHERE (amount > 0)", "SELECT * FROM df WHERE (amount > 0)", id="filter_rows"),
    pytest.param("derive_columns", {"derivations": {"AMOUNT": "amount * 2", "big": "amount > 5"}},
                 'SELECT "id", "name", (amount * 2) AS "amount", (amount > 5) AS "big" FROM df',
                 "SELECT `id`, `name`, (amount * 2) AS `amount`, (amount > 5) AS `big` FROM df",
                 id="derive_columns replaces in place (any case) and appends"),
    pytest.param("cast_columns", {"casts": {"id": "str", "amount": "DECIMAL(10, 2)"}},
                 'SELECT CAST("id" AS VARCHAR) AS "id", "name", CAST("amount" AS DECIMAL(10, 2)) AS "amount" FROM df',
                 "SELECT CAST(`id` AS STRING) AS `id`, `name`, CAST(`amount` AS DECIMAL(10, 2)) AS `amount` FROM df",
                 id="cast_columns with an alias and a SQL type"),
    pytest.param("rename_columns", {"mapping": {"name": "n"}},
                 'SELECT "id", "name" AS "n", "amount" FROM df', "SELECT `id`, `name` AS `n`, `amount` FROM df",
                 id="rename_columns"),
    pytest.param("select_columns", {"columns": ["NAME", "id"]},
                 'SELECT "name", "id" FROM df', "SELECT `name`, `id` FROM df", id="select_columns case-insensitive"),
    pytest.param("drop_columns", {"columns": ["amount", "amount"]},
                 'SELECT * EXCLUDE ("amount") FROM df', "SELECT `id`, `name` FROM df", id="drop_columns"),
    pytest.param("deduplicate", {"keys": ["id"]},
                 'SELECT * FROM df QUALIFY row_number() OVER (PARTITION BY "id" ORDER BY "id") = 1',
                 "SELECT `id`, `name`, `amount` FROM (SELECT *, row_number() OVER (PARTITION BY `id` ORDER BY `id` "
                 "NULLS LAST) = 1 AS `__odibi_keep` FROM df) AS kept WHERE `__odibi_keep`",
                 id="deduplicate any row per key"),
    pytest.param("deduplicate", {"keys": "id", "order_by": ["amount DESC", "name NULLS FIRST"]},
                 'SELECT * FROM df QUALIFY row_number() OVER (PARTITION BY "id" ORDER BY "amount" DESC, "name" NULLS '
                 "FIRST) = 1",
                 "SELECT `id`, `name`, `amount` FROM (SELECT *, row_number() OVER (PARTITION BY `id` ORDER BY `amount` "
                 "DESC NULLS LAST, `name` NULLS FIRST) = 1 AS `__odibi_keep` FROM df) AS kept WHERE `__odibi_keep`",
                 id="deduplicate by an order_by list: columns quoted, nulls last unless told"),
    pytest.param("join", {"right_dataset": "other", "on": "id"},
                 'SELECT l."id" AS "id", l."name" AS "name", l."amount" AS "amount", r."extra" AS "extra" '
                 'FROM df AS l LEFT JOIN "other" AS r ON l."id" = r."ID"',
                 "SELECT l.`id` AS `id`, l.`name` AS `name`, l.`amount` AS `amount`, r.`extra` AS `extra` "
                 "FROM df AS l LEFT JOIN `other` AS r ON l.`id` = r.`ID`", id="join is left by default, as in Odibi"),
    pytest.param("join", {"right_dataset": "other", "on": "id", "how": "right", "select": ["id", "extra"]},
                 'SELECT r."ID" AS "id", r."extra" AS "extra" FROM df AS l RIGHT JOIN "other" AS r ON l."id" = r."ID"',
                 "SELECT r.`ID` AS `id`, r.`extra` AS `extra` FROM df AS l RIGHT JOIN `other` AS r ON l.`id` = r.`ID`",
                 id="join right takes the right key"),
    pytest.param("join", {"right_dataset": "other", "on": "id", "how": "full", "select": ["id"]},
                 'SELECT coalesce(l."id", r."ID") AS "id" FROM df AS l FULL OUTER JOIN "other" AS r ON l."id" = r."ID"',
                 "SELECT coalesce(l.`id`, r.`ID`) AS `id` FROM df AS l FULL OUTER JOIN `other` AS r ON l.`id` = r.`ID`",
                 id="join full coalesces the key"),
    pytest.param("join", {"right_dataset": "other", "on": "id", "how": "anti", "select": ["id"]},
                 'SELECT l."id" AS "id" FROM df AS l ANTI JOIN "other" AS r ON l."id" = r."ID"',
                 "SELECT l.`id` AS `id` FROM df AS l LEFT ANTI JOIN `other` AS r ON l.`id` = r.`ID`", id="join anti"),
    pytest.param("union", {"datasets": ["other"]},
                 'SELECT * FROM df UNION ALL BY NAME SELECT * FROM "other"',
                 "SELECT `id`, `name`, `amount`, CAST(NULL AS string) AS `extra` FROM df UNION ALL SELECT `ID`, "
                 "CAST(NULL AS string) AS `name`, CAST(NULL AS double) AS `amount`, `extra` FROM `other`",
                 id="union by name fills typed nulls"),
    pytest.param("aggregate", {"group_by": ["name"], "aggregations": {"n": "count(*)"}},
                 'SELECT "name", (count(*)) AS "n" FROM df GROUP BY "name"',
                 "SELECT `name`, (count(*)) AS `n` FROM df GROUP BY `name`", id="aggregate"),
    pytest.param("aggregate", {"group_by": [], "aggregations": {"n": "count(*)"}},
                 'SELECT (count(*)) AS "n" FROM df', "SELECT (count(*)) AS `n` FROM df", id="aggregate all rows"),
    pytest.param("sort", {"by": ["name", "amount"], "ascending": [True, False]},
                 'SELECT * FROM df ORDER BY "name" ASC NULLS LAST, "amount" DESC NULLS LAST',
                 "SELECT * FROM df ORDER BY `name` ASC NULLS LAST, `amount` DESC NULLS LAST", id="sort"),
    pytest.param("fill_nulls", {"values": {"name": "it's \\ x", "amount": 0}},
                 """SELECT "id", COALESCE("name", 'it''s \\ x') AS "name", COALESCE("amount", 0) AS "amount" FROM df""",
                 "SELECT `id`, COALESCE(`name`, 'it\\'s \\\\ x') AS `name`, COALESCE(`amount`, 0) AS `amount` FROM df",
                 id="fill_nulls quotes strings per dialect"),
    pytest.param("detect_deletes", {"mode": "sql_compare", "keys": ["id"], "source_connection": "erp",
                                    "source_table": "t", "soft_delete_col": None},
                 'SELECT * FROM df WHERE NOT EXISTS (SELECT 1 FROM _odibi_deleted AS x WHERE x."id" IS NOT DISTINCT '
                 'FROM df."id")',
                 "SELECT * FROM df WHERE NOT EXISTS (SELECT 1 FROM _odibi_deleted AS x WHERE x.`id` IS NOT DISTINCT "
                 "FROM df.`id`)", id="detect_deletes hard delete"),
    pytest.param("cross_check", {"type": "row_count_diff", "inputs": ["a", "b"]}, "SELECT * FROM df",
                 "SELECT * FROM df", id="cross_check passes df through"),
]


@pytest.mark.parametrize(("name", "params", "duckdb", "spark"), GOLDEN)
def test_golden_sql(name: str, params: dict[str, Any], duckdb: str, spark: str) -> None:
    assert sql(DUCKDB, name, params) == duckdb
    assert sql(SPARK, name, params) == spark


def test_every_builtin_has_a_golden_case_and_a_yaml_example() -> None:
    assert set(TRANSFORMERS) == set(BUILTIN_TRANSFORMERS) == {case.values[0] for case in GOLDEN + CORE_GOLDEN + RELATIONAL_GOLDEN}
    for name, builder in TRANSFORMERS.items():
        assert f"transformer: {name}" in (builder.__doc__ or ""), f"{name} needs a YAML example"


def test_union_positional() -> None:
    params = {"datasets": "other", "by_name": False, "distinct": True}
    assert build_sql(DUCKDB, "union", params, ["a", "b"], RELATIONS) == 'SELECT * FROM df UNION SELECT * FROM "other"'
    assert build_sql(SPARK, "union", params, ["a", "b"], RELATIONS) == "SELECT * FROM df UNION SELECT * FROM `other`"


HOSTILE = ['a"b', "c`d", "it's", "back\\slash"]


@pytest.mark.parametrize("dialect", [DUCKDB, SPARK], ids=["duckdb", "spark"])
def test_hostile_names_are_quoted(dialect: Any) -> None:
    query = build_sql(dialect, "rename_columns", {"mapping": {HOSTILE[0]: "x`y"}}, HOSTILE, {})
    renamed = f"{dialect.ident(HOSTILE[0])} AS {dialect.ident('x`y')}"
    assert query == f"SELECT {', '.join([renamed, *map(dialect.ident, HOSTILE[1:])])} FROM df"
    value = "o'k\\"
    filled = build_sql(dialect, "fill_nulls", {"values": {"it's": value}}, HOSTILE, {})
    assert f"COALESCE({dialect.ident(HOSTILE[2])}, {dialect.literal(value)}) AS {dialect.ident(HOSTILE[2])}" in filled


@pytest.mark.parametrize("dialect", [DUCKDB, SPARK], ids=["duckdb", "spark"])
def test_order_by_list_items_are_quoted_columns(dialect: Any) -> None:
    """Each item is one column (any name, quoted) with an optional direction; SQL cannot ride along."""
    query = build_sql(dialect, "deduplicate", {"keys": ["c`d"], "order_by": ["it's  desc  nulls first"]}, HOSTILE, {})
    assert f"ORDER BY {dialect.ident(HOSTILE[2])} DESC NULLS FIRST)" in query
    with pytest.raises(ExecutionError, match=r"param 'order_by': unknown column 'id\) = 1 OR \(true'"):
        build_sql(dialect, "deduplicate", {"keys": ["id"], "order_by": ["id) = 1 OR (true"]}, ["id"], {})
    expression = build_sql(dialect, "deduplicate", {"keys": "id", "order_by": "coalesce(a, 0) DESC"}, ["id", "a"], {})
    assert "ORDER BY coalesce(a, 0) DESC" in expression, "a string order_by stays one SQL expression, by design"


def test_hostile_names_golden() -> None:
    assert DUCKDB.ident(HOSTILE[0]) + SPARK.ident(HOSTILE[1]) == '"a""b"`c``d`'
    assert build_sql(SPARK, "select_columns", {"columns": HOSTILE}, HOSTILE, {}) == (
        "SELECT `a\"b`, `c``d`, `it's`, `back\\slash` FROM df")


@pytest.mark.parametrize(("name", "params", "message"), [
    pytest.param("cast_columns", {"casts": {"amount": "money; DROP TABLE x"}},
                 r"param 'casts': 'amount': 'money; DROP TABLE x' is not a type; expected a SQL type such as "
                 r"BIGINT, DOUBLE, DECIMAL\(10, 2\), DATE, TIMESTAMP or an alias \(bigint, bool", id="bad type"),
    pytest.param("cast_columns", {"casts": {"amont": "int"}}, r"unknown column 'amont'; did you mean 'amount'\?",
                 id="cast of an unknown column"),
    pytest.param("join", {"right_dataset": "other", "on": "name"}, "param 'on': unknown column 'name'.*columns of other",
                 id="key missing on the right"),
    pytest.param("join", {"right_dataset": "other", "on": "id", "how": "outer"},
                 "param 'how': expected one of inner, left, right, full, semi, anti, cross, got 'outer'", id="bad join kind"),
    pytest.param("union", {"datasets": ["other"], "by_name": False},
                 "'other' has 2 columns but df has 3; a positional union", id="positional union width"),
    pytest.param("drop_columns", {"columns": COLUMNS}, "dropping every column", id="drop everything"),
    pytest.param("fill_nulls", {"values": {"amount": [1]}}, "param 'values': 'amount': cannot use list",
                 id="fill value not a scalar"),
    pytest.param("sort", {"by": "amount", "ascendng": True}, r"has no parameter 'ascendng'; did you mean 'ascending'\?",
                 id="unknown param"),
    pytest.param("filter_row", {}, r"unknown transformer 'filter_row'; did you mean 'filter_rows'",
                 id="unknown transformer"),
])
def test_errors_are_the_same_in_both_dialects(name: str, params: dict[str, Any], message: str) -> None:
    for dialect in (DUCKDB, SPARK):
        with pytest.raises(ExecutionError, match=message):
            sql(dialect, name, params)
