"""One project, nodes on both engines, one run: frames cross engines through Arrow (unwritten outputs) or
by reading what the upstream wrote, and the tables match a run of the same project on one engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.runner import run_project
from tests.fixtures.mixed_project import EXPECTED_GOLD, gold_rows, parquet_rows, write_project

pytest.importorskip("pysail.spark", reason="the Sail Spark Connect server (dev extra) runs the Spark nodes")


@pytest.fixture(scope="module")
def spark() -> Any:
    from odibi_provider.engines.spark import configure_spark
    from tests.fixtures.sail import sail_spark_session

    session = sail_spark_session()
    configure_spark(session=session)
    return session


@pytest.fixture(scope="module")
def single_engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project with every node on the embedded engine (the reference)."""
    root = tmp_path_factory.mktemp("single")
    run = run_project(write_project(root), engine="pandas")
    assert run.ok, [r.error for r in run.results]
    return root


def test_mixed_engines_run_in_process_and_match_one_engine(spark, single_engine, tmp_path):
    run = run_project(write_project(tmp_path), workers=2)
    assert run.ok, {r.node_id: r.error for r in run.results if r.error}
    engines = {r.node_id: r.engine for r in run.results}
    assert engines == {"bronze.orders": "spark", "silver.valid_orders": "pandas", "silver.enriched": "spark",
                       "gold.by_customer": "spark", "gold.top_customers": "pandas"}
    assert gold_rows(tmp_path) == gold_rows(single_engine) == EXPECTED_GOLD
    for path in ("bronze/orders.parquet", "silver/enriched.parquet"):
        assert parquet_rows(tmp_path, path) == parquet_rows(single_engine, path)
    assert run["silver.valid_orders"].status == "warning"  # the warn test saw the row without a customer


def test_mixed_engines_under_dagster(spark, single_engine, tmp_path):
    pytest.importorskip("dagster")
    from odibi_provider.dagster import build_definitions

    defs = build_definitions(write_project(tmp_path))
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(raise_on_error=False)
    failures = [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert result.success, failures
    assert gold_rows(tmp_path) == gold_rows(single_engine)
    assert parquet_rows(tmp_path, "silver/enriched.parquet") == parquet_rows(single_engine, "silver/enriched.parquet")
