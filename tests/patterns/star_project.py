"""A small star schema in Odibi's own YAML (the shape of ``odibi init --template star-schema``): two
dimensions (SCD1 via ``transformer:``, SCD0 via ``pattern:``), a generated date dimension, a fact with one
orphan customer, and a daily aggregate. Shared by the in-process, Dagster and Airflow tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

PROJECT = """
project: star
engine: ENGINE
connections:
  raw: {type: local, base_path: raw}
  warehouse: {type: local, base_path: warehouse}
story: {connection: warehouse, path: stories}
system: {connection: warehouse, path: _system}
pipelines:
  - pipeline: star
    nodes:
      - name: dim_customer
        read: {connection: raw, format: parquet, path: customers.parquet}
        transformer: dimension
        params:
          natural_key: customer_id
          surrogate_key: customer_sk
          scd_type: 1
          track_cols: [name, region]
          target: warehouse.dim_customer.parquet
          unknown_member: true
          audit: {load_timestamp: true, source_system: crm}
        write: {connection: warehouse, format: parquet, path: dim_customer.parquet}
      - name: dim_product
        read: {connection: raw, format: parquet, path: products.parquet}
        pattern:
          type: dimension
          params: {natural_key: product_id, surrogate_key: product_sk, scd_type: 0, unknown_member: true}
        write: {connection: warehouse, format: parquet, path: dim_product.parquet}
      - name: dim_date
        transformer: date_dimension
        params: {start_date: "2024-01-01", end_date: "2024-01-31", fiscal_year_start_month: 7,
                 unknown_member: true}
        write: {connection: warehouse, format: parquet, path: dim_date.parquet}
      - name: fact_orders
        depends_on: [dim_customer, dim_product, dim_date]
        read: {connection: raw, format: parquet, path: orders.parquet}
        transformer: fact
        params:
          grain: [order_id, line_id]
          dimensions:
            - {source_column: customer_id, dimension_table: dim_customer, dimension_key: customer_id,
               surrogate_key: customer_sk}
            - {source_column: product_id, dimension_table: dim_product, dimension_key: product_id,
               surrogate_key: product_sk}
            - {source_column: order_date, dimension_table: dim_date, dimension_key: full_date,
               surrogate_key: date_sk}
          orphan_handling: ORPHANS
          measures: [quantity, {line_total: "quantity * unit_price"}]
        validation: {quarantine: {connection: warehouse, path: orphans.parquet}}
        write: {connection: warehouse, format: parquet, path: fact_orders.parquet}
      - name: agg_daily
        depends_on: [fact_orders]
        transformer: aggregation
        params:
          grain: [date_sk]
          measures: [{name: revenue, expr: "SUM(line_total)"}, {name: lines, expr: "COUNT(*)"}]
        write: {connection: warehouse, format: parquet, path: agg_daily.parquet}
"""

CUSTOMERS = [{"customer_id": 1, "name": "Ada", "region": "north"},
             {"customer_id": 2, "name": "Bo", "region": "south"},
             {"customer_id": 3, "name": "Cy", "region": "east"}]
PRODUCTS = [{"product_id": "P1", "name": "pen", "price": 2.0}, {"product_id": "P2", "name": "ink", "price": 5.0}]
ORDERS = [  # customer 99 is an orphan
    {"order_id": 1, "line_id": 1, "customer_id": 1, "product_id": "P1", "order_date": dt.date(2024, 1, 5),
     "quantity": 2, "unit_price": 2.0},
    {"order_id": 1, "line_id": 2, "customer_id": 1, "product_id": "P2", "order_date": dt.date(2024, 1, 5),
     "quantity": 1, "unit_price": 5.0},
    {"order_id": 2, "line_id": 1, "customer_id": 2, "product_id": "P2", "order_date": dt.date(2024, 1, 6),
     "quantity": 3, "unit_price": 5.0},
    {"order_id": 3, "line_id": 1, "customer_id": 99, "product_id": "P1", "order_date": dt.date(2024, 1, 6),
     "quantity": 1, "unit_price": 2.0},
]


def write_table(path: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def write_star(root: Path, *, engine: str = "pandas", orphans: str = "unknown",
               orders: list[dict[str, Any]] | None = None) -> Path:
    """Write the project and its raw data under ``root``; return the project file."""
    raw = root / "raw"
    write_table(raw / "customers.parquet", CUSTOMERS)
    write_table(raw / "products.parquet", PRODUCTS)
    write_table(raw / "orders.parquet", ORDERS if orders is None else orders)
    (root / "warehouse").mkdir(exist_ok=True)
    project = root / "odibi.yaml"
    project.write_text(PROJECT.replace("ENGINE", engine).replace("ORPHANS", orphans))
    return project


def rows(path: Path, order: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return sorted(pq.read_table(path).to_pylist(), key=lambda r: r[order])


EXPECTED_FACT_KEYS = {(1, 1): (1, 1, 20240105), (1, 2): (1, 2, 20240105), (2, 1): (2, 2, 20240106),
                      (3, 1): (0, 1, 20240106)}  # order 3's customer is an orphan: the unknown member


def star_outputs(root: Path) -> tuple[list[tuple[int, Any]], dict[tuple[int, int], tuple[int, int, int]]]:
    """The customer dimension's (key, natural key) pairs and the fact's dimension keys by grain."""
    wh = root / "warehouse"
    customers = [(c["customer_sk"], c["customer_id"]) for c in rows(wh / "dim_customer.parquet", "customer_sk")]
    facts = {(f["order_id"], f["line_id"]): (f["customer_sk"], f["product_sk"], f["date_sk"])
             for f in rows(wh / "fact_orders.parquet", "order_id")}
    return customers, facts
