"""Odibi's node ``columns:`` (descriptions, pii, tags): Dagster's column schema descriptions, the asset
description and the Airflow task docs, and ``pii`` columns masked in the sample."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from odibi_provider.airflow.translator import AirflowTranslator
from odibi_provider.dagster import build_definitions
from odibi_provider.plan.cache import compile_project
from odibi_provider.runner import run_project
from tests.dagster.conftest import run_assets

PROJECT = """
project: docs
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
pipelines:
  - pipeline: p
    nodes:
      - name: customers
        columns:
          id: {description: The customer's key, tags: [key]}
          contact: {description: Where we reach them, pii: true}
        read: {connection: raw, format: csv, path: customers.csv}
        write: {connection: lake, format: parquet, path: customers.parquet}
"""
FILES = {"data/customers.csv": "id,contact,city\n1,ann-at-home,Oslo\n"}


def test_dagster_column_schema_carries_the_descriptions(make_project) -> None:  # type: ignore[no-untyped-def]
    result = run_assets(build_definitions(make_project(PROJECT, files=FILES)))
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    described = {c.name: c.description for c in meta["dagster/column_schema"].value.columns}
    assert described == {"id": "The customer's key (key)", "contact": "Where we reach them (pii)", "city": None}


def test_asset_description_and_airflow_docs_list_the_columns(make_project) -> None:  # type: ignore[no-untyped-def]
    project: Path = make_project(PROJECT, files=FILES)
    plan = compile_project(project)
    doc = AirflowTranslator().get_doc_md(plan.node("p.customers"), plan) or ""
    assert "- `id`: The customer's key (key)" in doc and "- `contact`: Where we reach them (pii)" in doc
    (asset,) = [a for a in build_definitions(project).assets or () if isinstance(a, dg.AssetsDefinition)]
    assert "`contact`: Where we reach them (pii)" in (asset.descriptions_by_key[asset.key] or "")


def test_pii_columns_are_masked_in_the_sample(make_project) -> None:  # type: ignore[no-untyped-def]
    result = run_project(make_project(PROJECT, files=FILES))["p.customers"]
    assert result.sample == ({"id": 1, "contact": "***", "city": "Oslo"},)


def test_declared_columns_show_before_a_first_materialization(make_project) -> None:  # type: ignore[no-untyped-def]
    defs = build_definitions(make_project(PROJECT, files=FILES))
    (spec,) = [s for s in defs.resolve_all_asset_specs() if s.key.to_user_string() == "p/customers"]
    columns = spec.metadata["dagster/column_schema"].columns
    assert [(c.name, c.type, c.description) for c in columns] == [
        ("id", "declared", "The customer's key (key)"), ("contact", "declared", "Where we reach them (pii)")]
