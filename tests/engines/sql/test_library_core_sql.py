"""Odibi's SQL core transformers: their SQL, exactly, in both dialects (golden text, no engine), their param
errors at run time and at ``validate`` (located at the param's YAML path), and a project using them."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.engines.sql.dialect import DUCKDB, SPARK
from odibi_provider.engines.sql.library_core import PARAM_SHAPES, SIGNATURES, TRANSFORMERS
from odibi_provider.engines.sql.transformers import build_sql
from odibi_provider.errors import ExecutionError, ProjectError
from odibi_provider.plan import compile_project
from odibi_provider.plan.builtins import BUILTIN_TRANSFORMERS

COLUMNS = ["id", "Name", "email", "at", "alt"]
TYPES = {"df": {"id": "BIGINT", "Name": "VARCHAR", "email": "VARCHAR", "at": "TIMESTAMP", "alt": "VARCHAR"}}
ALL = '"id", "Name", "email", "at", "alt"'
ALL_S = "`id`, `Name`, `email`, `at`, `alt`"

GOLDEN = [
    pytest.param("clean_text", {"columns": ["Name"], "case": "lower"},
                 'SELECT "id", lower(trim("Name")) AS "Name", "email", "at", "alt" FROM df',
                 "SELECT `id`, lower(trim(`Name`)) AS `Name`, `email`, `at`, `alt` FROM df", id="clean_text"),
    pytest.param("extract_date_parts", {"source_col": "at", "parts": ["year", "hour"]},
                 f'SELECT {ALL}, year("at") AS "at_year", hour("at") AS "at_hour" FROM df',
                 f"SELECT {ALL_S}, year(`at`) AS `at_year`, hour(`at`) AS `at_hour` FROM df",
                 id="extract_date_parts"),
    pytest.param("normalize_schema", {"rename": {"Name": "name"}, "drop": ["alt", "gone"],
                                      "select_order": ["name", "id"]},
                 'SELECT "Name" AS "name", "id" FROM df', "SELECT `Name` AS `name`, `id` FROM df",
                 id="normalize_schema drops absent names quietly, as Odibi"),
    pytest.param("limit", {"n": 5, "offset": 10}, "SELECT * FROM df LIMIT 5 OFFSET 10",
                 "SELECT * FROM df LIMIT 5 OFFSET 10", id="limit"),
    pytest.param("sample", {"fraction": 0.25, "seed": 3},
                 "SELECT * FROM df USING SAMPLE 25.0 PERCENT (bernoulli, 3)", "SELECT * FROM df WHERE rand(3) < 0.25",
                 id="sample seeded"),
    pytest.param("sample", {"fraction": 0.25}, "SELECT * FROM df WHERE random() < 0.25",
                 "SELECT * FROM df WHERE rand() < 0.25", id="sample"),
    pytest.param("distinct", {"columns": ["email"]}, 'SELECT DISTINCT "email" FROM df',
                 "SELECT DISTINCT `email` FROM df", id="distinct"),
    pytest.param("split_part", {"col": "email", "delimiter": "@", "index": 2},
                 f"SELECT {ALL}, split_part(\"email\", '@', 2) AS \"email_part_2\" FROM df",
                 f"SELECT {ALL_S}, split_part(`email`, '@', 2) AS `email_part_2` FROM df", id="split_part"),
    pytest.param("date_add", {"col": "at", "value": -2, "unit": "day"},
                 f'SELECT {ALL}, CAST("at" AS TIMESTAMP) - INTERVAL 2 DAY AS "at_future" FROM df',
                 f"SELECT {ALL_S}, CAST(`at` AS TIMESTAMP) - INTERVAL 2 DAY AS `at_future` FROM df", id="date_add"),
    pytest.param("date_trunc", {"col": "at", "unit": "month"},
                 f"SELECT {ALL}, date_trunc('month', CAST(\"at\" AS TIMESTAMP)) AS \"at_trunc\" FROM df",
                 f"SELECT {ALL_S}, date_trunc('month', CAST(`at` AS TIMESTAMP)) AS `at_trunc` FROM df",
                 id="date_trunc"),
    pytest.param("date_diff", {"start_col": "at", "end_col": "at", "unit": "minute"},
                 f"SELECT {ALL}, (CAST(date_diff('second', \"at\", \"at\") AS DOUBLE) / 60) AS \"diff_minute\" FROM df",
                 f"SELECT {ALL_S}, (CAST((unix_timestamp(`at`) - unix_timestamp(`at`)) AS DOUBLE) / 60) "
                 "AS `diff_minute` FROM df", id="date_diff minutes"),
    pytest.param("date_diff", {"start_col": "at", "end_col": "at"},
                 f"SELECT {ALL}, date_diff('day', \"at\", \"at\") AS \"diff_day\" FROM df",
                 f"SELECT {ALL_S}, datediff(`at`, `at`) AS `diff_day` FROM df", id="date_diff days"),
    pytest.param("case_when", {"cases": [{"condition": "id > 1", "value": "'big'"}], "output_col": "size"},
                 f"SELECT {ALL}, CASE WHEN id > 1 THEN 'big' ELSE NULL END AS \"size\" FROM df",
                 f"SELECT {ALL_S}, CASE WHEN id > 1 THEN 'big' ELSE NULL END AS `size` FROM df", id="case_when"),
    pytest.param("convert_timezone", {"col": "at", "source_tz": "Europe/Paris", "target_tz": "UTC"},
                 f"SELECT {ALL}, (CAST(\"at\" AS TIMESTAMP) AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'UTC' "
                 "AS \"at_converted\" FROM df",
                 f"SELECT {ALL_S}, CAST(from_utc_timestamp(to_utc_timestamp(`at`, 'Europe/Paris'), 'UTC') "
                 "AS TIMESTAMP_NTZ) AS `at_converted` FROM df", id="convert_timezone"),
    pytest.param("concat_columns", {"columns": ["id", "email"], "separator": "it's", "output_col": "key"},
                 f"SELECT {ALL}, concat_ws('it''s', CAST(\"id\" AS VARCHAR), CAST(\"email\" AS VARCHAR)) AS \"key\" "
                 "FROM df",
                 f"SELECT {ALL_S}, concat_ws('it\\'s', CAST(`id` AS STRING), CAST(`email` AS STRING)) AS `key` FROM df",
                 id="concat_columns quotes the separator"),
    pytest.param("add_prefix", {"prefix": "p_", "exclude": ["id"]},
                 'SELECT "id", "Name" AS "p_Name", "email" AS "p_email", "at" AS "p_at", "alt" AS "p_alt" FROM df',
                 "SELECT `id`, `Name` AS `p_Name`, `email` AS `p_email`, `at` AS `p_at`, `alt` AS `p_alt` FROM df",
                 id="add_prefix"),
    pytest.param("add_suffix", {"suffix": "_s", "columns": ["email"]},
                 'SELECT "id", "Name", "email" AS "email_s", "at", "alt" FROM df',
                 "SELECT `id`, `Name`, `email` AS `email_s`, `at`, `alt` FROM df", id="add_suffix"),
    pytest.param("normalize_column_names", {},
                 'SELECT "id", "Name" AS "name", "email", "at", "alt" FROM df',
                 "SELECT `id`, `Name` AS `name`, `email`, `at`, `alt` FROM df", id="normalize_column_names"),
    pytest.param("coalesce_columns", {"columns": ["alt", "email"], "output_col": "email", "drop_source": True},
                 'SELECT "id", "Name", "at", COALESCE("alt", "email") AS "email" FROM df',
                 "SELECT `id`, `Name`, `at`, COALESCE(`alt`, `email`) AS `email` FROM df",
                 id="coalesce_columns drop_source"),
    pytest.param("replace_values", {"columns": ["alt"], "mapping": {"N/A": None, "y": "yes"}},
                 'SELECT "id", "Name", "email", "at", CASE WHEN "alt" = \'N/A\' THEN NULL WHEN "alt" = \'y\' '
                 'THEN \'yes\' ELSE "alt" END AS "alt" FROM df',
                 "SELECT `id`, `Name`, `email`, `at`, CASE WHEN `alt` = 'N/A' THEN NULL WHEN `alt` = 'y' "
                 "THEN 'yes' ELSE `alt` END AS `alt` FROM df", id="replace_values"),
    pytest.param("trim_whitespace", {},
                 'SELECT "id", trim("Name") AS "Name", trim("email") AS "email", "at", trim("alt") AS "alt" FROM df',
                 "SELECT `id`, trim(`Name`) AS `Name`, trim(`email`) AS `email`, `at`, trim(`alt`) AS `alt` FROM df",
                 id="trim_whitespace every text column"),
    pytest.param("row_number", {"partition_by": ["email"], "order_by": ["at DESC"]},
                 f'SELECT {ALL}, row_number() OVER (PARTITION BY "email" ORDER BY "at" DESC) AS "row_num" FROM df',
                 f"SELECT {ALL_S}, row_number() OVER (PARTITION BY `email` ORDER BY `at` DESC) AS `row_num` FROM df",
                 id="row_number"),
]


@pytest.mark.parametrize(("name", "params", "duckdb", "spark"), GOLDEN)
def test_golden_sql(name: str, params: dict[str, Any], duckdb: str, spark: str) -> None:
    assert build_sql(DUCKDB, name, params, COLUMNS, {}, TYPES) == duckdb
    assert build_sql(SPARK, name, params, COLUMNS, {}, TYPES) == spark


def test_every_core_transformer_is_registered_with_odibi_params() -> None:
    assert set(TRANSFORMERS) == set(SIGNATURES) == set(PARAM_SHAPES) == {c.values[0] for c in GOLDEN}
    for name, (required, optional) in SIGNATURES.items():
        assert BUILTIN_TRANSFORMERS[name].names == required + optional
        assert set(PARAM_SHAPES[name]) == set(required + optional), name
        assert f"transformer: {name}" in (TRANSFORMERS[name].__doc__ or ""), f"{name} needs a YAML example"


@pytest.mark.parametrize(("name", "params", "message"), [
    pytest.param("limit", {"n": 1, "rows": 2}, "transformer 'limit' has no parameter 'rows'", id="unknown param"),
    pytest.param("date_diff", {"start_col": "at"}, "transformer 'date_diff' is missing parameter(s) end_col",
                 id="missing param"),
    pytest.param("sample", {"fraction": 1.5}, "param 'fraction': expected a number from 0.0 to 1.0, got 1.5",
                 id="fraction"),
    pytest.param("add_suffix", {"suffix": "", "columns": ["id"]}, "param 'suffix': expected a non-empty SQL string",
                 id="empty suffix"),
    pytest.param("add_prefix", {"prefix": "x", "columns": ["alt"], "exclude": []},
                 "param 'prefix': renaming gives duplicate column name(s) xalt", id="rename clash"),
    pytest.param("normalize_schema", {"select_order": ["nope"]},
                 "param 'select_order': unknown column 'nope'", id="select_order names an absent column"),
    pytest.param("case_when", {"cases": [{"when": "x", "value": "1"}], "output_col": "c"},
                 "param 'cases': item 0: expected {condition: <SQL>, value: <SQL>}", id="case shape"),
    pytest.param("replace_values", {"columns": ["alt"], "mapping": {"a": 1}},
                 "param 'mapping': expected a non-empty mapping of old text to new text or null", id="mapping"),
    pytest.param("row_number", {"order_by": ["nope DESC"]}, "param 'order_by': unknown column 'nope'",
                 id="order_by column"),
])
def test_param_errors_name_transformer_and_param(name: str, params: dict[str, Any], message: str) -> None:
    cols = [*COLUMNS, "xalt"] if name == "add_prefix" else COLUMNS
    with pytest.raises(ExecutionError, match=__import__("re").escape(message)):
        build_sql(DUCKDB, name, params, cols, {}, TYPES)


PROJECT = """
project: shop
connections:
  raw: {type: local, base_path: data}
pipelines:
  - pipeline: silver
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        transformer: TRANSFORMER
        params: PARAMS
"""


@pytest.mark.parametrize(("transformer", "params", "path", "message"), [
    pytest.param("limit", "{n: ten}", "params.n", "param 'n': expected a whole number >= 0, got 'ten'", id="n"),
    pytest.param("date_trunc", "{col: at, unit: week}", "params.unit",
                 "param 'unit': expected one of year, month, day, hour, minute, second, got 'week'", id="unit"),
    pytest.param("clean_text", "{columns: [a], casing: lower}", "params.casing",
                 "transformer 'clean_text' has no parameter 'casing'", id="unknown param"),
    pytest.param("convert_timezone", "{col: at, target_tz: 'UTC; DROP'}", "params.target_tz",
                 "is not a time zone name", id="time zone"),
])
def test_validate_locates_param_problems(make_project: Any, transformer: str, params: str, path: str,
                                         message: str) -> None:
    project = make_project(PROJECT.replace("TRANSFORMER", transformer).replace("PARAMS", params))
    with pytest.raises(ProjectError) as caught:
        compile_project(project)
    problems = [p for p in caught.value.problems if p.severity == "error"]
    assert [p.path for p in problems] == [f"pipelines[0].nodes[0].{path}"]
    assert message in problems[0].message
    assert problems[0].line and problems[0].file.endswith("odibi.yaml")


def test_a_project_runs_odibi_core_transformers(make_project: Any) -> None:
    from odibi_provider import run_project

    project = make_project(PROJECT.replace("TRANSFORMER", "clean_text").replace(
        "PARAMS", "{columns: [name], case: upper}") + """
        write: {connection: raw, format: csv, path: out.csv}
""", files={"data/orders.csv": "id,name\n1,  ann \n2,bo\n"})
    run = run_project(project, workers=1)
    assert run.ok, run
    assert (project.parent / "data" / "out.csv").read_text().splitlines() == ["id,name", "1,ANN", "2,BO"]
