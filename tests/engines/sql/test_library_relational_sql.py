"""Odibi's relational and advanced library transformers: their SQL, exactly, in both dialects (golden text,
no engine), their params checks, and the transformers refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.engines.sql import units
from odibi_provider.engines.sql.dialect import DUCKDB, SPARK
from odibi_provider.engines.sql.library_relational import LIBRARY, REFUSED, SIGNATURES, struct_fields
from odibi_provider.engines.sql.transformers import TRANSFORMERS, build_sql
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.builtins import BUILTIN_TRANSFORMERS

COLUMNS = ["id", "name", "amount", "ts", "tags", "addr"]
RELATIONS = {"codes": ["key", "label"]}
TYPES = {"df": {"addr": "STRUCT(city VARCHAR, geo STRUCT(lat DOUBLE))"}}
STYPES = {"df": {"addr": "struct<city:string,geo:struct<lat:double>>"}}

GOLDEN = [
    pytest.param('pivot', {'group_by': ['id'], 'pivot_col': 'name', 'agg_col': 'amount', 'values': ['a', "it's"]},
                 'SELECT "id", sum(CASE WHEN CAST("name" AS VARCHAR) = \'a\' THEN "amount" END) AS "a", sum(CASE WHEN CAST("name" AS VARCHAR) = \'it\'\'s\' THEN "amount" END) AS "it\'s" FROM df GROUP BY "id"',
                 "SELECT `id`, sum(CASE WHEN CAST(`name` AS STRING) = 'a' THEN `amount` END) AS `a`, sum(CASE WHEN CAST(`name` AS STRING) = 'it\\'s' THEN `amount` END) AS `it's` FROM df GROUP BY `id`",
                 id='pivot sum over listed values (quoted names and literals)'),
    pytest.param('pivot', {'group_by': ['id'], 'pivot_col': 'name', 'agg_col': 'amount', 'agg_func': 'first', 'values': ['a']},
                 'SELECT "id", any_value(CASE WHEN CAST("name" AS VARCHAR) = \'a\' THEN "amount" END) AS "a" FROM df GROUP BY "id"',
                 "SELECT `id`, first(CASE WHEN CAST(`name` AS STRING) = 'a' THEN `amount` END, TRUE) AS `a` FROM df GROUP BY `id`",
                 id='pivot first: a non-null value per cell'),
    pytest.param('unpivot', {'id_cols': ['id'], 'value_vars': ['name', 'amount']},
                 'SELECT "id", \'name\' AS "variable", "name" AS "value" FROM df UNION ALL SELECT "id", \'amount\' AS "variable", "amount" AS "value" FROM df',
                 "SELECT `id`, 'name' AS `variable`, `name` AS `value` FROM df UNION ALL SELECT `id`, 'amount' AS `variable`, `amount` AS `value` FROM df",
                 id='unpivot'),
    pytest.param('explode_list_column', {'column': 'tags', 'outer': True},
                 'SELECT "id", "name", "amount", "ts", unnest(CASE WHEN len("tags") > 0 THEN "tags" ELSE [NULL] END) AS "tags", "addr" FROM df',
                 'SELECT `id`, `name`, `amount`, `ts`, explode_outer(`tags`) AS `tags`, `addr` FROM df',
                 id='explode_list_column outer'),
    pytest.param('dict_based_mapping', {'column': 'name', 'mapping': {'a': 1, 'b': 2}, 'default': 0, 'output_column': 'n'},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", CASE CAST("name" AS VARCHAR) WHEN \'a\' THEN 1 WHEN \'b\' THEN 2 ELSE 0 END AS "n" FROM df',
                 "SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, CASE CAST(`name` AS STRING) WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 0 END AS `n` FROM df",
                 id='dict_based_mapping to a new column with a default'),
    pytest.param('regex_replace', {'column': 'name', 'pattern': '\\d+', 'replacement': '#'},
                 'SELECT "id", regexp_replace("name", \'\\d+\', \'#\', \'g\') AS "name", "amount", "ts", "tags", "addr" FROM df',
                 "SELECT `id`, regexp_replace(`name`, '\\\\d+', '#') AS `name`, `amount`, `ts`, `tags`, `addr` FROM df",
                 id='regex_replace (every match; backslashes escaped for Spark)'),
    pytest.param('unpack_struct', {'column': 'addr'},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."city" END AS "city", CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."geo" END AS "geo" FROM df',
                 'SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`city` END AS `city`, CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`geo` END AS `geo` FROM df',
                 id='unpack_struct keeps the struct, null-safe fields'),
    pytest.param('flatten_struct', {'column': 'addr', 'depth': 2},
                 'SELECT "id", "name", "amount", "ts", "tags", CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."city" END AS "addr_city", CASE WHEN (CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."geo" END) IS NULL THEN NULL ELSE (CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."geo" END)."lat" END AS "addr_geo_lat" FROM df',
                 'SELECT `id`, `name`, `amount`, `ts`, `tags`, CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`city` END AS `addr_city`, CASE WHEN (CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`geo` END) IS NULL THEN NULL ELSE (CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`geo` END).`lat` END AS `addr_geo_lat` FROM df',
                 id='flatten_struct two levels'),
    pytest.param('normalize_json', {'column': 'addr'},
                 'SELECT "id", "name", "amount", "ts", "tags", CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."city" END AS "addr_city", CASE WHEN (CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."geo" END) IS NULL THEN NULL ELSE (CASE WHEN "addr" IS NULL THEN NULL ELSE "addr"."geo" END)."lat" END AS "addr_geo_lat" FROM df',
                 'SELECT `id`, `name`, `amount`, `ts`, `tags`, CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`city` END AS `addr_city`, CASE WHEN (CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`geo` END) IS NULL THEN NULL ELSE (CASE WHEN `addr` IS NULL THEN NULL ELSE `addr`.`geo` END).`lat` END AS `addr_geo_lat` FROM df',
                 id='normalize_json every level'),
    pytest.param('hash_columns', {'columns': ['name']},
                 'SELECT "id", sha256(CAST("name" AS VARCHAR)) AS "name", "amount", "ts", "tags", "addr" FROM df',
                 'SELECT `id`, sha2(CAST(`name` AS STRING), 256) AS `name`, `amount`, `ts`, `tags`, `addr` FROM df',
                 id='hash_columns sha256'),
    pytest.param('generate_surrogate_key', {'columns': ['id', 'name']},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", md5(concat_ws(\'-\', COALESCE(CAST("id" AS VARCHAR), \'\'), COALESCE(CAST("name" AS VARCHAR), \'\'))) AS "surrogate_key" FROM df',
                 "SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, md5(concat_ws('-', COALESCE(CAST(`id` AS STRING), ''), COALESCE(CAST(`name` AS STRING), ''))) AS `surrogate_key` FROM df",
                 id='generate_surrogate_key md5 of joined text'),
    pytest.param('generate_numeric_key', {'columns': ['id', 'name'], 'coalesce_with': 'amount'},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", COALESCE(CAST("amount" AS BIGINT), CAST(\'0x\' || substring(md5(concat_ws(\'|\', COALESCE(NULLIF(TRIM(CAST("id" AS VARCHAR)), \'\'), \'\'), COALESCE(NULLIF(TRIM(CAST("name" AS VARCHAR)), \'\'), \'\'))), 1, 15) AS BIGINT)) AS "numeric_key" FROM df',
                 "SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, COALESCE(CAST(`amount` AS BIGINT), CAST(conv(substring(md5(concat_ws('|', COALESCE(NULLIF(TRIM(CAST(`id` AS STRING)), ''), ''), COALESCE(NULLIF(TRIM(CAST(`name` AS STRING)), ''), ''))), 1, 15), 16, 10) AS BIGINT)) AS `numeric_key` FROM df",
                 id="generate_numeric_key coalesced (Odibi's Spark formula)"),
    pytest.param('parse_json', {'column': 'name', 'json_schema': 'a INT, b STRING'},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", CASE WHEN "name" IS NULL THEN NULL ELSE {\'a\': CAST(json_extract_string("name", \'$.a\') AS INTEGER), \'b\': CAST(json_extract_string("name", \'$.b\') AS VARCHAR)} END AS "name_parsed" FROM df',
                 "SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, CASE WHEN `name` IS NULL THEN NULL ELSE named_struct('a', CAST(get_json_object(`name`, '$.a') AS INT), 'b', CAST(get_json_object(`name`, '$.b') AS STRING)) END AS `name_parsed` FROM df",
                 id='parse_json with a DDL schema (INT is 32-bit)'),
    pytest.param('validate_and_flag', {'rules': {'pos': 'amount > 0'}},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", NULLIF(concat_ws(\', \', CASE WHEN NOT (amount > 0) THEN \'pos\' END), \'\') AS "_issues" FROM df',
                 "SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, NULLIF(concat_ws(', ', CASE WHEN NOT (amount > 0) THEN 'pos' END), '') AS `_issues` FROM df",
                 id='validate_and_flag'),
    pytest.param('window_calculation', {'target_col': 'r', 'function': 'rank()', 'partition_by': ['name'], 'order_by': 'amount DESC'},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", rank() OVER (PARTITION BY "name" ORDER BY amount DESC) AS "r" FROM df',
                 'SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, rank() OVER (PARTITION BY `name` ORDER BY amount DESC NULLS LAST) AS `r` FROM df',
                 id='window_calculation'),
    pytest.param('sessionize', {'timestamp_col': 'ts', 'user_col': 'id', 'threshold_seconds': 60},
                 'SELECT "id", "name", "amount", "ts", "tags", "addr", concat(CAST("id" AS VARCHAR), \'-\', CAST(sum("__odibi_new") OVER (PARTITION BY "id" ORDER BY "ts") AS VARCHAR)) AS "session_id" FROM (SELECT *, CASE WHEN lag("ts") OVER (PARTITION BY "id" ORDER BY "ts") IS NULL OR epoch("ts") - epoch(lag("ts") OVER (PARTITION BY "id" ORDER BY "ts")) > 60 THEN 1 ELSE 0 END AS "__odibi_new" FROM df) AS flagged',
                 "SELECT `id`, `name`, `amount`, `ts`, `tags`, `addr`, concat(CAST(`id` AS STRING), '-', CAST(sum(`__odibi_new`) OVER (PARTITION BY `id` ORDER BY `ts` NULLS LAST) AS STRING)) AS `session_id` FROM (SELECT *, CASE WHEN lag(`ts`) OVER (PARTITION BY `id` ORDER BY `ts` NULLS LAST) IS NULL OR unix_timestamp(`ts`) - unix_timestamp(lag(`ts`) OVER (PARTITION BY `id` ORDER BY `ts` NULLS LAST)) > 60 THEN 1 ELSE 0 END AS `__odibi_new` FROM df) AS flagged",
                 id='sessionize'),
    pytest.param('apply_mapping', {'column': 'name', 'mapping_source': 'codes', 'source_key': 'key', 'source_value': 'label', 'default': '?'},
                 'SELECT df."id", COALESCE(m."label", \'?\') AS "name", df."amount", df."ts", df."tags", df."addr" FROM df LEFT JOIN (SELECT "key", "label", row_number() OVER (PARTITION BY "key" ORDER BY "label") AS "__odibi_rn" FROM "codes") AS m ON df."name" = m."key" AND m."__odibi_rn" = 1',
                 "SELECT df.`id`, COALESCE(m.`label`, '?') AS `name`, df.`amount`, df.`ts`, df.`tags`, df.`addr` FROM df LEFT JOIN (SELECT `key`, `label`, row_number() OVER (PARTITION BY `key` ORDER BY `label` NULLS LAST) AS `__odibi_rn` FROM `codes`) AS m ON df.`name` = m.`key` AND m.`__odibi_rn` = 1",
                 id='apply_mapping first value per key'),
    pytest.param('join', {'right_dataset': 'codes', 'how': 'cross', 'prefix': 'c'},
                 'SELECT l."id" AS "id", l."name" AS "name", l."amount" AS "amount", l."ts" AS "ts", l."tags" AS "tags", l."addr" AS "addr", r."key" AS "key", r."label" AS "label" FROM df AS l CROSS JOIN "codes" AS r',
                 'SELECT l.`id` AS `id`, l.`name` AS `name`, l.`amount` AS `amount`, l.`ts` AS `ts`, l.`tags` AS `tags`, l.`addr` AS `addr`, r.`key` AS `key`, r.`label` AS `label` FROM df AS l CROSS JOIN `codes` AS r',
                 id="join cross with Odibi's prefix"),
    pytest.param('aggregate', {'group_by': ['name'], 'aggregations': {'amount': 'sum', 'id': 'count'}},
                 'SELECT "name", (sum("amount")) AS "amount", (count("id")) AS "id" FROM df GROUP BY "name"',
                 'SELECT `name`, (sum(`amount`)) AS `amount`, (count(`id`)) AS `id` FROM df GROUP BY `name`',
                 id="aggregate Odibi's column: function form"),
    pytest.param('split_events_by_period', {'start_col': 'ts', 'end_col': 'amount', 'period': 'hour'},
                 'SELECT "id", "name", least(CAST("amount" AS TIMESTAMP), "__odibi_period" + INTERVAL 1 HOUR) AS "amount", greatest(CAST("ts" AS TIMESTAMP), "__odibi_period") AS "ts", "tags", "addr" FROM (SELECT *, unnest(CASE WHEN CAST("amount" AS TIMESTAMP) >= CAST("ts" AS TIMESTAMP) THEN generate_series(date_trunc(\'hour\', CAST("ts" AS TIMESTAMP)), date_trunc(\'hour\', CAST("amount" AS TIMESTAMP)), INTERVAL 1 HOUR) END) AS "__odibi_period" FROM df) AS periods',
                 "SELECT `id`, `name`, least(CAST(`amount` AS TIMESTAMP), `__odibi_period` + INTERVAL 1 HOUR) AS `amount`, greatest(CAST(`ts` AS TIMESTAMP), `__odibi_period`) AS `ts`, `tags`, `addr` FROM (SELECT *, explode(CASE WHEN CAST(`amount` AS TIMESTAMP) >= CAST(`ts` AS TIMESTAMP) THEN sequence(date_trunc('hour', CAST(`ts` AS TIMESTAMP)), date_trunc('hour', CAST(`amount` AS TIMESTAMP)), INTERVAL 1 HOUR) END) AS `__odibi_period` FROM df) AS periods",
                 id='split_events_by_period by hour'),
    pytest.param('split_events_by_period', {'start_col': 'ts', 'end_col': 'amount', 'period': 'shift', 'shifts': [{'name': 'night', 'start': '22:00', 'end': '06:00'}], 'duration_col': 'minutes'},
                 'SELECT "id", "name", least(CAST("amount" AS TIMESTAMP), "__odibi_period" + INTERVAL 1800 MINUTE) AS "amount", greatest(CAST("ts" AS TIMESTAMP), "__odibi_period" + INTERVAL 1320 MINUTE) AS "ts", "tags", "addr", CAST(epoch(least(CAST("amount" AS TIMESTAMP), "__odibi_period" + INTERVAL 1800 MINUTE)) - epoch(greatest(CAST("ts" AS TIMESTAMP), "__odibi_period" + INTERVAL 1320 MINUTE)) AS DOUBLE) / 60 AS "minutes", \'night\' AS "shift_name" FROM (SELECT *, unnest(CASE WHEN CAST("amount" AS TIMESTAMP) >= CAST("ts" AS TIMESTAMP) THEN generate_series(date_trunc(\'day\', CAST("ts" AS TIMESTAMP)) - INTERVAL 1 DAY, date_trunc(\'day\', CAST("amount" AS TIMESTAMP)), INTERVAL 1 DAY) END) AS "__odibi_period" FROM df) AS periods WHERE CAST("ts" AS TIMESTAMP) < "__odibi_period" + INTERVAL 1800 MINUTE AND CAST("amount" AS TIMESTAMP) > "__odibi_period" + INTERVAL 1320 MINUTE',
                 "SELECT `id`, `name`, least(CAST(`amount` AS TIMESTAMP), `__odibi_period` + INTERVAL 1800 MINUTE) AS `amount`, greatest(CAST(`ts` AS TIMESTAMP), `__odibi_period` + INTERVAL 1320 MINUTE) AS `ts`, `tags`, `addr`, CAST(unix_timestamp(least(CAST(`amount` AS TIMESTAMP), `__odibi_period` + INTERVAL 1800 MINUTE)) - unix_timestamp(greatest(CAST(`ts` AS TIMESTAMP), `__odibi_period` + INTERVAL 1320 MINUTE)) AS DOUBLE) / 60 AS `minutes`, 'night' AS `shift_name` FROM (SELECT *, explode(CASE WHEN CAST(`amount` AS TIMESTAMP) >= CAST(`ts` AS TIMESTAMP) THEN sequence(date_trunc('day', CAST(`ts` AS TIMESTAMP)) - INTERVAL 1 DAY, date_trunc('day', CAST(`amount` AS TIMESTAMP)), INTERVAL 1 DAY) END) AS `__odibi_period` FROM df) AS periods WHERE CAST(`ts` AS TIMESTAMP) < `__odibi_period` + INTERVAL 1800 MINUTE AND CAST(`amount` AS TIMESTAMP) > `__odibi_period` + INTERVAL 1320 MINUTE",
                 id='split_events_by_period by a shift past midnight'),
]
if units.installed():  # the 'units' extra
    GOLDEN.append(pytest.param(
        'unit_convert', {'conversions': {'amount': {'from': 'degF', 'to': 'degC', 'output': 'c'},
                                         'id': {'from': 'psig', 'to': 'psia'}}},
        'SELECT (TRY_CAST("id" AS DOUBLE) * 1.0 + 14.696) AS "id", "name", "amount", "ts", "tags", "addr", '
        '(TRY_CAST("amount" AS DOUBLE) * 0.5555555555555556 + -17.777777777777743) AS "c" FROM df',
        'SELECT (TRY_CAST(`id` AS DOUBLE) * 1.0 + 14.696) AS `id`, `name`, `amount`, `ts`, `tags`, `addr`, '
        '(TRY_CAST(`amount` AS DOUBLE) * 0.5555555555555556 + -17.777777777777743) AS `c` FROM df',
        id='unit_convert: value * factor + offset, psig relative to 14.696 psia'))


@pytest.mark.parametrize(("name", "params", "duckdb", "spark"), GOLDEN)
def test_golden_sql(name: str, params: dict[str, Any], duckdb: str, spark: str) -> None:
    assert build_sql(DUCKDB, name, params, COLUMNS, RELATIONS, TYPES) == duckdb
    assert build_sql(SPARK, name, params, COLUMNS, RELATIONS, STYPES) == spark


def test_every_library_transformer_is_registered_with_odibis_params_and_a_yaml_example() -> None:
    assert set(LIBRARY) == set(SIGNATURES) and set(LIBRARY) <= set(TRANSFORMERS)
    for name, (required, optional) in SIGNATURES.items():
        assert BUILTIN_TRANSFORMERS[name].names == required + optional
        assert f"transformer: {name}" in (LIBRARY[name].__doc__ or ""), f"{name} needs a YAML example"
    assert not set(REFUSED) & set(TRANSFORMERS), "a refused name must not also be built"


def test_pivot_without_values() -> None:
    params = {"group_by": "id", "pivot_col": "name", "agg_col": "amount", "agg_func": "avg"}
    assert build_sql(DUCKDB, "pivot", params, COLUMNS, RELATIONS) == (
        'PIVOT df ON "name" USING avg("amount") GROUP BY "id"')
    with pytest.raises(ExecutionError, match=r"param 'values': the spark engine needs the pivoted values listed; "
                                             r"add 'values: \[...\]'"):
        build_sql(SPARK, "pivot", params, COLUMNS, RELATIONS)


def test_aggregate_keeps_the_providers_sql_form() -> None:
    query = build_sql(DUCKDB, "aggregate", {"group_by": [], "aggregations": {"total": "sum(amount)"}}, COLUMNS, {})
    assert query == 'SELECT (sum(amount)) AS "total" FROM df'


def test_struct_fields_of_both_spellings() -> None:
    assert struct_fields('STRUCT("a b" INTEGER, c STRUCT(d DECIMAL(10,2)))') == [
        ("a b", "INTEGER"), ("c", "STRUCT(d DECIMAL(10,2))")]
    assert struct_fields("struct<`a b`:int,c:struct<d:decimal(10,2)>>") == [("a b", "int"),
                                                                           ("c", "struct<d:decimal(10,2)>")]
    assert struct_fields("VARCHAR[]") is None


@pytest.mark.parametrize(("name", "params", "message"), [
    pytest.param("pivot", {"group_by": ["id"], "pivot_col": "name", "agg_col": "amount", "agg_func": "median",
                           "values": ["a"]},
                 r"transformer 'pivot', param 'agg_func': expected one of sum, count, avg, max, min, first, "
                 r"got 'median'", id="pivot function"),
    pytest.param("hash_columns", {"columns": ["nme"]}, r"param 'columns': unknown column 'nme'; did you mean 'name'",
                 id="unknown column"),
    pytest.param("hash_columns", {"columns": ["name"], "algorithm": "sha1"},
                 "param 'algorithm': expected one of sha256, md5, got 'sha1'", id="hash algorithm"),
    pytest.param("sessionize", {"timestamp_col": "ts", "user_col": "id", "threshold_seconds": "30m"},
                 "param 'threshold_seconds': expected a whole number of seconds, got '30m'", id="threshold"),
    pytest.param("parse_json", {"column": "name", "json_schema": "a, b INT"},
                 "param 'json_schema': field 'a' has no type; write 'name TYPE, ...'", id="json schema type"),
    pytest.param("parse_json", {"column": "name", "json_schema": "a DECIMAL(x)"},
                 r"param 'json_schema': field 'a': 'DECIMAL\(x\)' is not a type", id="json schema bad type"),
    pytest.param("apply_mapping", {"column": "name", "mapping_source": "codez", "source_key": "key",
                                   "source_value": "label"},
                 r"param 'mapping_source': unknown dataset 'codez'; did you mean 'codes'", id="mapping source"),
    pytest.param("apply_mapping", {"column": "name", "mapping_source": "codes", "source_key": "id",
                                   "source_value": "label"},
                 "param 'source_key': unknown column 'id'; columns of codes: key, label", id="mapping key"),
    pytest.param("flatten_struct", {"column": "name"}, "param 'column': 'name' is not a struct column",
                 id="flatten a non-struct"),
    pytest.param("split_events_by_period", {"start_col": "ts", "end_col": "amount", "period": "shift"},
                 "param 'shifts': period 'shift' needs a list of shifts", id="shift period without shifts"),
    pytest.param("split_events_by_period", {"start_col": "ts", "end_col": "amount", "period": "shift",
                                            "shifts": [{"name": "a", "start": "25:00", "end": "06:00"}]},
                 "param 'shifts': expected a time of day as 'HH:MM', got '25:00'", id="shift time"),
    pytest.param("split_events_by_period", {"start_col": "ts", "end_col": "amount", "period": "week"},
                 "param 'period': expected one of day, hour, shift, got 'week'", id="period"),
    pytest.param("flatten_struct", {"column": "addr", "depth": 0},
                 "param 'depth': expected a whole number of levels, 1 or more, got 0", id="depth"),
    pytest.param("join", {"right_dataset": "codes", "how": "left"},
                 "param 'on': a left join needs its key column\\(s\\) in 'on' \\(only how: cross has none\\)",
                 id="join without keys"),
    pytest.param("join", {"right_dataset": "codes", "on": "key", "how": "cross"},
                 "param 'on': a cross join has no keys", id="cross join with keys"),
    pytest.param("window_calculation", {"target_col": "r", "function": "rank()", "partition": ["name"]},
                 r"has no parameter 'partition'; did you mean 'partition_by'\?", id="unknown param"),
    pytest.param("dict_based_mapping", {"column": "name", "mapping": {"a": [1]}},
                 "param 'mapping': expected a mapping of names to values; 'a' maps to \\[1\\]", id="mapping value"),
])
def test_errors_are_the_same_in_both_dialects(name: str, params: dict[str, Any], message: str) -> None:
    for dialect, types in ((DUCKDB, TYPES), (SPARK, STYPES)):
        with pytest.raises(ExecutionError, match=message):
            build_sql(dialect, name, params, COLUMNS, RELATIONS, types)
