"""A node's columns and types show in Dagster at definition time once a run has written them, before the
next materialization: from the project's local system store, without reading any data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from odibi_provider.dagster import build_definitions
from odibi_provider.runner import run_project
from tests.conftest import REPO
from tests.dagster.conftest import run_assets

PROJECT = """
project: schemas
connections:
  lake: {type: local, base_path: lake}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: orders
        read: {connection: lake, format: csv, path: orders.csv}
        transform: {steps: ["SELECT id, CAST(amount AS DOUBLE) AS amount, note FROM df"]}
        columns:
          id: {description: The order's key}
        write: {connection: lake, format: parquet, path: orders.parquet}
      - name: totals
        inputs: {src: $p.orders}
        transform: {steps: ["SELECT count(*) AS n FROM src"]}
"""
FILES = {"lake/orders.csv": "id,amount,note\n1,2.5,a\n2,3.0,b\n"}


def _columns(project: Path) -> dict[str, list[tuple[str, str, str | None]]]:
    specs = build_definitions(project).resolve_all_asset_specs()
    return {s.key.to_user_string(): [(c.name, c.type, c.description)
                                     for c in s.metadata["dagster/column_schema"].columns]
            for s in specs if "dagster/column_schema" in s.metadata}


def test_a_dagster_run_gives_the_next_definitions_their_column_types(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project(PROJECT, files=FILES)
    assert _columns(project) == {"p/orders": [("id", "declared", "The order's key")]}  # before any run
    assert run_assets(build_definitions(project)).success
    assert _columns(project) == {
        "p/orders": [("id", "BIGINT", "The order's key"), ("amount", "DOUBLE", None), ("note", "VARCHAR", None)],
        "p/totals": [("n", "BIGINT", None)]}  # an in-memory node too: what it handed on


def test_an_in_process_run_records_them_too_and_a_failed_one_keeps_the_last(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project(PROJECT, files=FILES)
    assert run_project(project, workers=1).ok
    recorded = _columns(project)["p/orders"]
    assert [name for name, _, _ in recorded] == ["id", "amount", "note"]
    (project.parent / "lake" / "orders.csv").write_text("id\n1\n", encoding="utf-8")  # 'amount' is gone
    assert not run_project(project, workers=1).ok
    assert _columns(project)["p/orders"] == recorded


def test_loading_the_definitions_reads_no_data(make_project) -> None:  # type: ignore[no-untyped-def]
    """The schemas come from small records: no engine is imported to show them."""
    project = make_project(PROJECT, files=FILES)
    assert run_project(project, workers=1).ok
    probe = ("import sys\nfrom odibi_provider.dagster import build_definitions\n"
             f"specs = build_definitions({str(project)!r}).resolve_all_asset_specs()\n"
             "(spec,) = [s for s in specs if s.key.to_user_string() == 'p/orders']\n"
             "assert [c.type for c in spec.metadata['dagster/column_schema'].columns] == "
             "['BIGINT', 'DOUBLE', 'VARCHAR']\n"
             "print(sorted(m for m in ('duckdb', 'pyarrow', 'pandas', 'pyspark', 'fsspec') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip().splitlines()[-1] == "[]"
