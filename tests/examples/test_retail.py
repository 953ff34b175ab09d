"""The retail example end to end in-process: gold tables, quarantine, story — what a user looks at."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from odibi_provider.runner import run_project
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def retail_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("retail") / "retail"
    shutil.copytree(EXAMPLES / "retail", root, ignore=shutil.ignore_patterns("output", ".odibi"))
    return root, run_project(root, workers=2)


def test_every_node_completes(retail_run):
    _, run = retail_run
    assert run.ok, [(r.node_id, r.error) for r in run.results if r.error]
    assert len(run.completed) == 8
    assert run["silver.customers"].status == "warning", "the bad email is a warn-level test"


def test_silver_orders_are_deduplicated_and_bad_rows_quarantined(retail_run):
    root, run = retail_run
    orders = run["silver.orders"]
    quarantined = pq.read_table(root / "output/lake/quarantine/orders.parquet").to_pylist()
    assert orders.quarantined_rows == len(quarantined) > 0
    assert all(row["_odibi_failed_tests"] for row in quarantined)
    assert run["bronze.orders"].rows_out == 1540, "1,500 orders + 40 corrections; the truncated line is dropped"
    assert orders.rows_out + orders.quarantined_rows == 1500, "corrections deduplicated to the latest"
    from deltalake import DeltaTable

    silver = DeltaTable(str(root / "output/lake/silver/orders")).to_pyarrow_table().to_pylist()
    assert len({r["order_id"] for r in silver}) == len(silver) == orders.rows_written
    assert all(r["quantity"] >= 1 and r["customer_id"] for r in silver)


def test_gold_tables_hold_revenue(retail_run):
    root, _ = retail_run
    revenue = pq.read_table(root / "output/lake/gold/revenue_by_customer_day.parquet").to_pylist()
    assert revenue and set(revenue[0]) == {"customer_id", "customer_name", "order_date", "orders", "revenue"}
    assert all(r["revenue"] > 0 for r in revenue)
    with open(root / "output/lake/gold/top_products.csv", newline="") as handle:
        top = list(csv.DictReader(handle))
    assert len(top) == 10
    assert [float(r["revenue"]) for r in top] == sorted((float(r["revenue"]) for r in top), reverse=True)


def test_story_is_a_self_contained_page(retail_run):
    _, run = retail_run
    page = Path(run.story_html).read_text(encoding="utf-8")
    assert "gold.top_products" in page and "silver.orders" in page
    assert "http://" not in page and "https://" not in page
    fragment = Path(run["silver.customers"].story_path).read_text(encoding="utf-8")
    assert "Customer1@" not in fragment and "customer1@example.com" not in fragment, "email is sensitive: masked"
