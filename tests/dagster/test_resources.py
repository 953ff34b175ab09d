"""Resources: OdibiResource (secrets from EnvVar, storage root), DuckDB and PySpark where a project uses them."""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from odibi_provider.dagster import OdibiResource, build_definitions, build_odibi_asset_args
from odibi_provider.dagster.resources import project_resources
from odibi_provider.plan import load_plan
from tests.dagster.conftest import run_assets

COPY = """
project: copy
connections:
  raw: {{type: local, base_path: data}}
  lake: {{type: local, base_path: "{lake}"}}
pipelines:
  - pipeline: p
    nodes:
      - name: staged
        read: {{connection: raw, format: csv, path: rows.csv}}
      - name: out
        depends_on: [staged]
        write: {{connection: lake, format: parquet, path: out.parquet}}
"""
ROWS = {"data/rows.csv": "id,v\n1,a\n2,b\n"}


def test_secrets_come_from_envvar_at_launch(make_project, tmp_path, monkeypatch):
    """``${env:LAKE_ROOT}`` in a connection is resolved from the resource's EnvVar when the run launches."""
    project = make_project(COPY.format(lake="${env:ODIBI_TEST_LAKE_ROOT}"), ROWS)
    monkeypatch.delenv("ODIBI_TEST_LAKE_ROOT", raising=False)
    monkeypatch.setenv("ODIBI_TEST_LAKE_SECRET", str(tmp_path / "secret_lake"))
    odibi = OdibiResource(project_path=str(project),
                          secrets={"ODIBI_TEST_LAKE_ROOT": dg.EnvVar("ODIBI_TEST_LAKE_SECRET")})
    result = run_assets(build_definitions(project, resources={"odibi": odibi}))
    assert result.success
    assert pd.read_parquet(tmp_path / "secret_lake" / "out.parquet")["id"].tolist() == [1, 2]


def test_storage_root_moves_intermediates(make_project, tmp_path):
    project = make_project(COPY.format(lake="lake"), ROWS)
    odibi = OdibiResource(project_path=str(project), storage_root=str(tmp_path / "store"))
    result = run_assets(build_definitions(project, resources={"odibi": odibi}))
    assert result.success
    assert (tmp_path / "store" / "intermediate" / result.run_id / "p.staged.parquet").is_file()
    assert not (project.parent / ".odibi" / "intermediate").exists()


def test_a_duckdb_warehouse_gets_a_duckdb_resource(make_project):
    project = make_project("""
        project: wh
        connections:
          raw: {type: local, base_path: data}
          warehouse: {type: sql, url: "duckdb:///warehouse.duckdb"}
        pipelines:
          - pipeline: p
            nodes:
              - name: n
                read: {connection: raw, format: csv, path: rows.csv}
        """, ROWS)
    defs = build_definitions(project)
    duckdb = defs.resources["duckdb"]
    assert isinstance(duckdb, DuckDBResource)
    assert duckdb.database == str(project.parent / "warehouse.duckdb")

    @dg.asset
    def warehouse_probe(duckdb: DuckDBResource) -> int:
        with duckdb.get_connection() as conn:
            return conn.execute("SELECT 41 + 1").fetchone()[0]

    result = dg.materialize([warehouse_probe], resources={"duckdb": duckdb})
    assert result.output_for_node("warehouse_probe") == 42


def test_a_warehouse_file_from_the_environment_is_an_envvar(make_project):
    project = make_project("""
        project: wh
        connections:
          raw: {type: local, base_path: data}
          warehouse: {type: sql, url: "duckdb:///${env:ODIBI_TEST_WAREHOUSE}"}
        pipelines:
          - pipeline: p
            nodes:
              - name: n
                read: {connection: raw, format: csv, path: rows.csv}
        """, ROWS)
    plan = load_plan(project)
    resources = project_resources(plan, OdibiResource(project_path=str(project)))
    assert resources["duckdb"].database == dg.EnvVar("ODIBI_TEST_WAREHOUSE")


def test_the_spark_engine_gets_a_pyspark_resource(make_project):
    project = make_project("""
        project: big
        engine: spark
        connections: {raw: {type: local, base_path: data}}
        pipelines:
          - pipeline: p
            nodes:
              - name: n
                read: {connection: raw, format: csv, path: rows.csv}
        """, ROWS)
    plan = load_plan(project)
    (args,) = build_odibi_asset_args(plan)
    assert args.resource_keys == {"odibi", "pyspark"}
    resources = project_resources(plan, OdibiResource(project_path=str(project)))
    assert type(resources["pyspark"]).__name__ == "PySparkResource"
    assert resources["pyspark"].spark_config == {"spark.app.name": "odibi-big"}
