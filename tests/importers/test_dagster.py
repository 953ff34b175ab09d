"""The seed formats and a project built in Python as Dagster code locations: ``build_definitions`` takes the
odibi_de_v2 folder, an ODIBI CORE step list or a ProjectConfig, and ``materialize`` runs every node."""

from __future__ import annotations

import pytest

from tests.importers.seed_projects import (
    EXAMPLE_1,
    GOLD_DAILY,
    GOLD_QAT,
    example_2,
    gold,
    gold_daily,
    write_de_v2,
    write_steps,
)

dg = pytest.importorskip("dagster")


def materialize(project):
    from odibi_provider.dagster import build_definitions

    defs = build_definitions(project)
    return dg.materialize(defs.assets, resources=defs.resources)


def test_de_v2_sales_project_materializes(tmp_path, monkeypatch):
    monkeypatch.chdir(write_de_v2(tmp_path, "csv"))
    result = materialize(tmp_path)
    assert result.success
    assert sorted(e.asset_key.to_user_string() for e in result.get_asset_materialization_events()) == [
        "bronze/ingest_sales_qat", "gold/sales_by_region_qat", "silver/clean_sales_qat"]
    assert gold(tmp_path) == GOLD_QAT


def test_core_medallion_materializes(tmp_path):
    assert materialize(write_steps(tmp_path, example_2(), "csv")).success
    assert gold_daily(tmp_path) == GOLD_DAILY


def test_a_project_built_in_python_materializes(tmp_path, monkeypatch):
    from odibi_provider import config as c

    monkeypatch.chdir(tmp_path)
    write_steps(tmp_path, EXAMPLE_1)  # the example data
    config = c.ProjectConfig(project="mvp", connections={"local": c.LocalConnection(type="local")}, pipelines=[
        c.PipelineConfig(pipeline="filter", nodes=[
            c.NodeConfig(name="raw", read=c.ReadConfig(connection="local", format="csv", path="data/input.csv")),
            c.NodeConfig(name="big", depends_on=["raw"],
                       transform=c.TransformConfig(steps=["SELECT * FROM df WHERE value > 100"]),
                       write=c.WriteConfig(connection="local", format="parquet", path="output/big.parquet"))])])
    assert materialize(config).success
    import pandas as pd

    assert sorted(pd.read_parquet(tmp_path / "output" / "big.parquet")["id"]) == [2, 3, 4]
