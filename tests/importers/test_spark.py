"""On Spark (a Sail Spark Connect session): the odibi_de_v2 sales project hybrid as the seed runs it (the silver
row's ``constants.engine: spark`` picks the Spark variant of ``clean_sales``; bronze and gold stay embedded), and
the ODIBI CORE medallion with every step on Spark and Delta."""

from __future__ import annotations

import json

import pytest

from odibi_provider import load_plan, run_project
from tests.importers.seed_projects import GOLD_QAT, gold, write_de_v2

pytest.importorskip("pysail.spark", reason="the Sail Spark Connect server (dev extra) runs the Spark rows")


def test_a_row_on_spark_between_embedded_rows(tmp_path, monkeypatch):
    from odibi_provider.engines.spark import configure_spark
    from tests.fixtures.sail import sail_spark_session

    configure_spark(session=sail_spark_session())
    monkeypatch.chdir(write_de_v2(tmp_path))
    registry = tmp_path / "TransformationRegistry.json"
    rows = json.loads(registry.read_text())
    rows[1]["constants"]["engine"] = "spark"
    registry.write_text(json.dumps(rows))
    plan = load_plan(tmp_path, use_cache=False)
    assert {n.id: n.engine for n in plan.nodes} == {"bronze.ingest_sales_qat": "pandas",
                                                   "silver.clean_sales_qat": "spark",
                                                   "gold.sales_by_region_qat": "pandas"}
    result = run_project(tmp_path)
    assert result.ok, [r.error for r in result.results]
    assert gold(tmp_path) == GOLD_QAT


def test_core_medallion_on_spark(tmp_path):
    from odibi_provider.engines.spark import configure_spark
    from tests.fixtures.sail import sail_spark_session
    from tests.importers.seed_projects import GOLD_DAILY, example_2, gold_daily, write_steps

    configure_spark(session=sail_spark_session())
    path = write_steps(tmp_path, example_2(engine="spark"))
    assert {n.engine for n in load_plan(path, use_cache=False).nodes} == {"spark"}
    result = run_project(path)
    assert result.ok, [r.error for r in result.results]
    assert gold_daily(tmp_path) == GOLD_DAILY
