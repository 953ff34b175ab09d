"""Loading: imports, environment overlays, substitutions, .env, and secrets kept as references."""

from __future__ import annotations

from datetime import datetime

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.manifest import load_project
from odibi_provider.plan import compile_project

BASE = """
project: shop
vars:
  region: emea
  days: 3
connections:
  raw: {type: local, base_path: data}
  warehouse: {type: sql, url: "postgresql://etl:${env:SHOP_PG_PASSWORD}@localhost:5432/shop"}
environments:
  prod:
    vars: {region: global}
    connections:
      raw: {base_path: /mnt/prod}
pipelines:
  - pipeline: bronze
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: "orders_${vars.region}_${date:-1d:%Y%m%d}.csv"}
        validation:
          tests:
            - {type: row_count, min: "${vars.days}"}
        write: {connection: warehouse, format: sql, table: orders}
"""


def test_substitutions_and_typed_whole_value(make_project, monkeypatch):
    monkeypatch.setenv("SHOP_PG_PASSWORD", "pw")
    loaded = load_project(make_project(BASE), now=datetime(2026, 3, 10))
    node = loaded.config.pipelines[0].nodes[0]
    assert node.read.path == "orders_emea_20260309.csv"
    assert node.validation.tests[0].min == 3, "a whole-string ${vars.x} keeps the variable's type"
    assert loaded.date_refs == ("date:-1d:%Y%m%d",)


def test_environment_overlay_replaces_values(make_project, monkeypatch):
    monkeypatch.setenv("SHOP_PG_PASSWORD", "pw")
    loaded = load_project(make_project(BASE), env="prod", now=datetime(2026, 3, 10))
    assert loaded.config.connections["raw"].base_path == "/mnt/prod"
    assert loaded.config.pipelines[0].nodes[0].read.path.startswith("orders_global_")


def test_unknown_environment_suggests_the_defined_ones(make_project):
    with pytest.raises(ProjectError, match="unknown environment 'prd'") as caught:
        load_project(make_project(BASE), env="prd")
    assert "did you mean 'prod'?" in caught.value.problems[0].hint


def test_cli_vars_override_project_vars(make_project, monkeypatch):
    monkeypatch.setenv("SHOP_PG_PASSWORD", "pw")
    loaded = load_project(make_project(BASE), vars={"region": "apac"})
    assert "orders_apac_" in loaded.config.pipelines[0].nodes[0].read.path


def test_dotenv_next_to_the_project_is_read(make_project, monkeypatch):
    monkeypatch.delenv("SHOP_DIR", raising=False)
    text = """
    project: p
    connections:
      raw: {type: local, base_path: data}
    pipelines:
      - pipeline: b
        nodes:
          - name: a
            read: {connection: raw, format: csv, path: "${SHOP_DIR}/a.csv"}
    """
    loaded = load_project(make_project(text, files={".env": "# comment\nexport SHOP_DIR='landing'\n"}))
    assert loaded.config.pipelines[0].nodes[0].read.path == "landing/a.csv"


def test_process_environment_wins_over_dotenv(make_project, monkeypatch):
    monkeypatch.setenv("SHOP_DIR", "from_process")
    text = """
    project: p
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - {name: a, read: {connection: raw, format: csv, path: "${env:SHOP_DIR}/a.csv"}}
    """
    loaded = load_project(make_project(text, files={".env": "SHOP_DIR=from_dotenv\n"}))
    assert loaded.config.pipelines[0].nodes[0].read.path == "from_process/a.csv"


def test_secret_stays_a_reference_in_model_and_plan(make_project, monkeypatch):
    secret = "s3cr3t-Value-42"
    monkeypatch.setenv("SHOP_PG_PASSWORD", secret)
    project = make_project(BASE)
    loaded = load_project(project)
    assert loaded.config.connections["warehouse"].url.endswith("${env:SHOP_PG_PASSWORD}@localhost:5432/shop")
    plan = compile_project(project)
    text = plan.to_json() + repr(plan) + repr(loaded)
    assert secret not in text
    assert "${env:SHOP_PG_PASSWORD}" in plan.to_json()
    assert secret not in plan.datasets[0].uri


def test_missing_secret_variable_is_a_warning_not_an_error(make_project, monkeypatch):
    monkeypatch.delenv("SHOP_PG_PASSWORD", raising=False)
    loaded = load_project(make_project(BASE))
    (warning,) = loaded.warnings
    assert warning.severity == "warning"
    assert "SHOP_PG_PASSWORD" in warning.message and warning.path == "connections.warehouse.url"


def test_imports_merge_pipelines_and_keep_their_own_locations(make_project):
    main = """
    project: p
    connections: {raw: {type: local}}
    imports: [pipelines/silver.yaml, pipelines/gold.yaml]
    pipelines:
      - pipeline: bronze
        nodes:
          - {name: a, read: {connection: raw, format: csv, path: a.csv}}
    """
    silver = """
    pipelines:
      - pipeline: silver
        nodes:
          - {name: b, inputs: {a: $bronze.a}}
    """
    gold = """
    pipeline: gold
    nodes:
      - name: c
        inputs: {b: $silver.b}
        writ: {connection: raw, format: csv, path: c.csv}
    """
    project = make_project(main, files={"pipelines/silver.yaml": silver, "pipelines/gold.yaml": gold})
    with pytest.raises(ProjectError) as caught:
        compile_project(project)
    (problem,) = caught.value.problems
    assert problem.file.endswith("pipelines/gold.yaml") and problem.line == 6
    assert problem.path == "pipelines[2].nodes[0].writ"


def test_import_cycle_is_reported(make_project):
    project = make_project("project: p\nimports: [a.yaml]\n", files={"a.yaml": "imports: [odibi.yaml]\n"})
    with pytest.raises(ProjectError, match="import cycle: odibi.yaml -> a.yaml -> odibi.yaml"):
        load_project(project)


def test_escaped_dollar_brace_is_literal(make_project):
    text = """
    project: p
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - name: a
            read: {connection: raw, format: csv, path: a.csv}
            transform: {steps: ["SELECT '$${not_a_var}' AS x FROM df"]}
    """
    loaded = load_project(make_project(text))
    assert loaded.config.pipelines[0].nodes[0].transform.steps[0] == "SELECT '${not_a_var}' AS x FROM df"
