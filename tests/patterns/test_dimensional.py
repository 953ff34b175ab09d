"""Odibi's dimensional patterns on a small star schema, in-process on the embedded engine and on Spark:
surrogate keys, the unknown member, the generated calendar, fact key lookups, orphans, grain, aggregates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan import compile_project
from odibi_provider.runner import run_project
from tests.patterns.star_project import CUSTOMERS, ORDERS, rows, write_star, write_table


@pytest.fixture(scope="module", params=["pandas", "spark"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        pytest.importorskip("pysail.spark", reason="the Sail Spark Connect server (dev extra) runs Spark")
        from odibi_provider.engines.spark import configure_spark
        from tests.fixtures.sail import sail_spark_session

        configure_spark(session=sail_spark_session())
    return str(request.param)


def _run(project: Path) -> dict[str, Any]:
    result = run_project(project, workers=2)
    return {r.node_id.split(".")[-1]: r for r in result.results}


def test_star_schema_builds_keys_unknown_members_calendar_and_facts(engine, tmp_path):
    results = _run(write_star(tmp_path, engine=engine))
    assert {n: r.error for n, r in results.items() if r.error} == {}
    wh = tmp_path / "warehouse"
    customers = rows(wh / "dim_customer.parquet", "customer_sk")
    assert [(c["customer_sk"], c["customer_id"], c["name"]) for c in customers] == [
        (0, -1, "Unknown"), (1, 1, "Ada"), (2, 2, "Bo"), (3, 3, "Cy")]
    assert {c["source_system"] for c in customers} == {"crm"} and all(c["load_timestamp"] for c in customers)
    products = rows(wh / "dim_product.parquet", "product_sk")
    assert [(p["product_sk"], p["product_id"]) for p in products] == [(0, "-1"), (1, "P1"), (2, "P2")]
    dates = rows(wh / "dim_date.parquet", "date_sk")
    assert len(dates) == 32 and len({d["date_sk"] for d in dates}) == 32
    assert dates[0]["date_sk"] == 0 and dates[0]["full_date"] == dt.date(1900, 1, 1)
    jan6 = next(d for d in dates if d["date_sk"] == 20240106)
    assert (jan6["full_date"], jan6["day_of_week"], jan6["day_of_week_num"], jan6["is_weekend"]) == (
        dt.date(2024, 1, 6), "Saturday", 6, True)
    assert (jan6["fiscal_year"], jan6["fiscal_quarter"], jan6["quarter_name"], jan6["month_name"]) == (
        2024, 3, "Q1", "January")
    assert next(d for d in dates if d["date_sk"] == 20240131)["is_month_end"] is True
    facts = rows(wh / "fact_orders.parquet", "order_id")
    keys = {(f["order_id"], f["line_id"]): (f["customer_sk"], f["product_sk"], f["date_sk"], f["line_total"])
            for f in facts}
    assert keys == {(1, 1): (1, 1, 20240105, 4.0), (1, 2): (1, 2, 20240105, 5.0),
                    (2, 1): (2, 2, 20240106, 15.0), (3, 1): (0, 1, 20240106, 2.0)}  # the orphan -> unknown
    daily = rows(wh / "agg_daily.parquet", "date_sk")
    assert [(a["date_sk"], a["revenue"], a["lines"]) for a in daily] == [(20240105, 9.0, 2), (20240106, 17.0, 2)]


def test_dimension_keeps_keys_on_a_second_load(engine, tmp_path):
    project = write_star(tmp_path, engine=engine)
    assert all(r.status == "success" for r in _run(project).values())
    _change_customers(tmp_path)
    assert _run(project)["dim_customer"].status == "success"
    customers = rows(tmp_path / "warehouse" / "dim_customer.parquet", "customer_sk")
    assert [(c["customer_sk"], c["customer_id"], c["name"]) for c in customers] == [
        (0, -1, "Unknown"), (1, 1, "Ada L."), (2, 2, "Bo"), (3, 3, "Cy"), (4, 4, "Di")]


def test_dimension_in_a_sql_table_keeps_keys_on_a_second_load(tmp_path):
    import sqlite3

    project = write_star(tmp_path)
    text = project.read_text().replace("connections:\n", "connections:\n  db: {type: sql, url: 'sqlite:///dw.db'}\n")
    text = text.replace("target: warehouse.dim_customer.parquet", "target: db.dim_customer").replace(
        "write: {connection: warehouse, format: parquet, path: dim_customer.parquet}",
        "write: {connection: db, format: sql, table: dim_customer}")
    project.write_text(text)
    assert all(r.status == "success" for r in _run(project).values())
    _change_customers(tmp_path)
    assert _run(project)["dim_customer"].status == "success"
    with sqlite3.connect(tmp_path / "dw.db") as db:
        stored = db.execute("SELECT customer_sk, customer_id, name FROM dim_customer ORDER BY 1").fetchall()
    assert stored == [(0, -1, "Unknown"), (1, 1, "Ada L."), (2, 2, "Bo"), (3, 3, "Cy"), (4, 4, "Di")]


def test_scd2_dimension_keeps_history_and_facts_take_the_current_key(engine, tmp_path):
    project = write_star(tmp_path, engine=engine)
    project.write_text(project.read_text().replace("scd_type: 1\n", "scd_type: 2\n").replace(
        "surrogate_key: customer_sk}", "surrogate_key: customer_sk, scd2: true}"))
    assert all(r.status == "success" for r in _run(project).values())
    _change_customers(tmp_path)
    results = _run(project)
    assert {n: r.error for n, r in results.items() if r.error} == {}
    customers = rows(tmp_path / "warehouse" / "dim_customer.parquet", "customer_sk")
    assert [(c["customer_sk"], c["customer_id"], c["name"], c["is_current"], c["valid_to"] is None)
            for c in customers] == [
        (0, -1, "Unknown", True, True), (1, 1, "Ada", False, False), (2, 2, "Bo", True, True),
        (3, 3, "Cy", True, True), (4, 1, "Ada L.", True, True), (5, 4, "Di", True, True)]
    assert customers[1]["valid_to"] == customers[4]["valid_from"]
    facts = {f["order_id"]: f["customer_sk"] for f in rows(tmp_path / "warehouse" / "fact_orders.parquet", "order_id")}
    assert facts == {1: 4, 2: 2, 3: 0}


@pytest.mark.parametrize(("strategy", "expected"), [
    ("sum", [(20240105, 9.0, 2), (20240106, 32.0, 3), (20240107, 4.0, 1)]),
    ("replace", [(20240105, 9.0, 2), (20240106, 15.0, 1), (20240107, 4.0, 1)]),
    ("max", [(20240105, 9.0, 2), (20240106, 17.0, 2), (20240107, 4.0, 1)]),
])
def test_aggregation_merges_new_data_into_the_stored_aggregate(engine, tmp_path, strategy, expected):
    project = write_star(tmp_path, engine=engine)
    project.write_text(project.read_text().replace(
        '{name: lines, expr: "COUNT(*)"}]', '{name: lines, expr: "COUNT(*)"}]\n'
        f'          incremental: {{merge_strategy: {strategy}}}\n          target: warehouse.agg_daily.parquet'))
    assert all(r.status == "success" for r in _run(project).values())
    later = [{**ORDERS[2], "order_id": 4}, {**ORDERS[0], "order_id": 5, "order_date": dt.date(2024, 1, 7)}]
    write_table(tmp_path / "raw" / "orders.parquet", later)
    assert _run(project)["agg_daily"].status == "success"
    daily = rows(tmp_path / "warehouse" / "agg_daily.parquet", "date_sk")
    assert [(a["date_sk"], a["revenue"], a["lines"]) for a in daily] == expected
    assert all(type(a["lines"]) is int for a in daily), "the merged counts keep their integer type"


def test_a_fact_against_an_scd2_dimension_without_scd2_lookup_fails_its_grain(engine, tmp_path):
    project = write_star(tmp_path, engine=engine)
    project.write_text(project.read_text().replace("scd_type: 1\n", "scd_type: 2\n"))
    assert all(r.status == "success" for r in _run(project).values())
    _change_customers(tmp_path)
    fact = _run(project)["fact_orders"]
    assert fact.status == "failed" and "is not unique" in (fact.error or "") and "scd2: true" in (fact.error or "")


def _change_customers(root: Path) -> None:
    """Ada is renamed and Di is new."""
    changed = [{**CUSTOMERS[0], "name": "Ada L."}, *CUSTOMERS[1:], {"customer_id": 4, "name": "Di", "region": "west"}]
    write_table(root / "raw" / "customers.parquet", changed)


def test_orphans_rejected_fail_the_fact(engine, tmp_path):
    results = _run(write_star(tmp_path, engine=engine, orphans="reject"))
    fact = results["fact_orders"]
    assert fact.status == "failed" and "1 fact row(s) have no match" in (fact.error or "")
    assert "orphan_handling: reject" in (fact.error or "")
    assert not (tmp_path / "warehouse" / "fact_orders.parquet").exists()


def test_orphans_quarantined_are_set_aside(engine, tmp_path):
    results = _run(write_star(tmp_path, engine=engine, orphans="quarantine"))
    assert results["fact_orders"].status == "success", results["fact_orders"].error
    assert [f["order_id"] for f in rows(tmp_path / "warehouse" / "fact_orders.parquet", "order_id")] == [1, 1, 2]
    assert [o["customer_id"] for o in rows(tmp_path / "warehouse" / "orphans.parquet", "order_id")] == [99]


STORED_FACT = """
project: facts
engine: ENGINE
connections:
  raw: {type: local, base_path: raw}
  warehouse: {type: local, base_path: warehouse}
story: {connection: warehouse, path: stories}
system: {connection: warehouse, path: _system_facts}
pipelines:
  - pipeline: facts
    layer: gold
    nodes:
      - name: fact_sales
        read: {connection: raw, format: parquet, path: orders.parquet}
        pattern:
          type: fact
          params:
            grain: [order_id, line_id]
            dimensions:
              - {source_column: customer_id, dimension_table: warehouse.dim_customer.parquet,
                 dimension_key: customer_id, surrogate_key: customer_sk}
              - {source_column: order_date, dimension_table: warehouse.dim_date.parquet, dimension_key: full_date,
                 surrogate_key: date_sk}
            orphan_handling: quarantine
            quarantine:
              connection: warehouse
              path: quarantine/fact_sales_orphans.parquet
              add_columns: {_rejection_reason: true, _rejected_at: true, _source_dimension: true}
        write: {connection: warehouse, format: parquet, path: fact_sales.parquet}
"""


def test_fact_reads_stored_dimensions_and_quarantines_orphans_with_reasons(engine, tmp_path):
    assert all(r.status == "success" for r in _run(write_star(tmp_path, engine=engine)).values())
    project = tmp_path / "facts.yaml"
    project.write_text(STORED_FACT.replace("ENGINE", engine))
    assert _run(project)["fact_sales"].status == "success"
    facts = rows(tmp_path / "warehouse" / "fact_sales.parquet", "order_id")
    assert [(f["order_id"], f["customer_sk"], f["date_sk"]) for f in facts] == [
        (1, 1, 20240105), (1, 1, 20240105), (2, 2, 20240106)]
    orphans = rows(tmp_path / "warehouse" / "quarantine" / "fact_sales_orphans.parquet", "order_id")
    assert [(o["customer_id"], o["_rejection_reason"], o["_source_dimension"], o["_rejected_at"] is not None)
            for o in orphans] == [(99, "no match in warehouse.dim_customer.parquet for customer_id",
                                   "warehouse.dim_customer.parquet", True)]


def test_a_stored_dimension_written_in_the_same_project_orders_the_fact_after_it(tmp_path):
    project = write_star(tmp_path)
    node = STORED_FACT[STORED_FACT.index("      - name: fact_sales"):]
    project.write_text(project.read_text() + node.replace("layer: gold\n", ""))
    plan = compile_project(project)
    assert {"star.dim_customer", "star.dim_date"} <= set(plan.node("star.fact_sales").upstream)


def test_duplicate_grain_fails_the_fact(engine, tmp_path):
    results = _run(write_star(tmp_path, engine=engine, orders=[*ORDERS, ORDERS[0]]))
    fact = results["fact_orders"]
    assert fact.status == "failed" and "grain ['order_id', 'line_id'] is not unique" in (fact.error or "")
    assert results["agg_daily"].status == "skipped"


GENERATORS = """
project: hello
engine: ENGINE
connections:
  local: {type: local, base_path: .}
pipelines:
  - pipeline: minimal
    nodes:
      - name: hello_world
        transform:
          steps:
            - sql: "SELECT 'Hello' as message, 1 as id"
        write: {connection: local, path: output/hello.parquet, format: parquet, mode: overwrite}
      - name: made_by_a_function
        transform: {steps: [{function: make_rows, params: {n: 3}}]}
        write: {connection: local, path: output/made.parquet, format: parquet}
"""
MAKE_ROWS = """
import pandas as pd
from odibi_provider import transform


@transform
def make_rows(df, n=1):
    return pd.DataFrame({"i": list(range(n))})
"""


def test_nodes_without_read_or_upstream_generate_their_rows(engine, tmp_path):
    (tmp_path / "odibi.yaml").write_text(GENERATORS.replace("ENGINE", engine))
    (tmp_path / "transforms.py").write_text(MAKE_ROWS)
    results = _run(tmp_path / "odibi.yaml")
    assert {n: r.error for n, r in results.items() if r.error} == {}
    assert rows(tmp_path / "output" / "hello.parquet", "id") == [{"message": "Hello", "id": 1}]
    assert [r["i"] for r in rows(tmp_path / "output" / "made.parquet", "i")] == [0, 1, 2]


@pytest.mark.parametrize(("old", "new", "message", "where"), [
    pytest.param("scd_type: 0, unknown_member: true}", "scd_type: 0, unknown_membr: true}",
                 "has no parameter 'unknown_membr'", "pipelines[0].nodes[1].pattern.params.unknown_membr",
                 id="misspelt param"),
    pytest.param("dimension_table: dim_product,", "dimension_table: dim_products,",
                 "dimension_table 'dim_products' is not an input", "dimensions[1].dimension_table",
                 id="dimension not upstream"),
    pytest.param("track_cols: [name, region]", "track_cols: []", "scd_type 1 needs 'track_cols'",
                 "pipelines[0].nodes[0].params", id="scd1 without tracked columns"),
    pytest.param("type: dimension", "type: dimensions", "unknown pattern 'dimensions'", "pattern.type",
                 id="unknown pattern"),
    pytest.param("target: warehouse.dim_customer.parquet", "target: warehouse.other",
                 "must be this node's own write", "params.target", id="foreign target"),
])
def test_pattern_mistakes_are_located(tmp_path, old, new, message, where):
    project = write_star(tmp_path)
    text = project.read_text()
    assert old in text
    project.write_text(text.replace(old, new, 1))
    with pytest.raises(ProjectError) as info:
        compile_project(project)
    problem = next(p for p in info.value.problems if message in p.message)
    assert problem.path and where in problem.path and problem.line
