"""A small project whose run story has everything worth showing: a failure and the node it skips, a
retried node, quarantined rows, a node with two inputs, and a Python ``@transform`` step with params."""

from __future__ import annotations

from pathlib import Path

STORY_PROJECT = """
project: story_demo
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {connection: out, path: stories}
system: {connection: out, path: _system}
pipelines:
  - pipeline: bronze
    layer: bronze
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        validation:
          tests:
            - {type: not_null, columns: [customer_id], on_fail: quarantine}
          quarantine: {connection: out, path: rejected_orders}
        write: {connection: out, format: parquet, path: orders.parquet}
      - name: customers
        read: {connection: raw, format: csv, path: customers.csv}
        transform: {steps: [{function: flaky_copy}]}
        retry: {max_attempts: 3, backoff: constant, delay_seconds: 0}
  - pipeline: silver
    layer: silver
    nodes:
      - name: enriched
        inputs: {o: $bronze.orders, c: $bronze.customers}
        transform:
          steps:
            - "SELECT o.id, o.amount, c.name FROM o JOIN c ON o.customer_id = c.customer_id"
            - {function: scale, params: {column: amount, factor: 10}}
        write: {connection: out, format: parquet, path: enriched.parquet}
      - name: broken
        depends_on: [enriched]
        on_error: fail_later
        transform:
          steps:
            - "SELECT id, amount FROM df"
            - {function: explode, params: {why: on purpose}}
      - name: after_broken
        depends_on: [broken]
        transform: {steps: ["SELECT count(*) AS n FROM df"]}
"""
TRANSFORMS = """
from pathlib import Path
from odibi_provider import transform

CALLS = Path(__file__).parent / "calls.txt"


@transform
def flaky_copy(df):
    calls = int(CALLS.read_text()) if CALLS.exists() else 0
    CALLS.write_text(str(calls + 1))
    if calls == 0:
        raise ConnectionError("the customer service dropped the connection")
    return df


@transform
def scale(df, column, factor):
    df[column] = df[column] * factor
    return df


@transform
def explode(df, why):
    raise ValueError("exploded " + why)
"""
ORDERS = "id,customer_id,amount\n1,10,5\n2,11,7\n3,,9\n4,10,1\n"
CUSTOMERS = "customer_id,name\n10,Ada\n11,Grace\n"
NODES = ("bronze.orders", "bronze.customers", "silver.enriched", "silver.broken", "silver.after_broken")


def story_project(root: Path, *, one_pipeline: bool = False) -> Path:
    """Write the project into ``root``; return its ``odibi.yaml``. ``one_pipeline``: every node in pipeline
    ``bronze`` (one Airflow DAG), so the node ids are ``bronze.*``."""
    project = STORY_PROJECT.replace("  - pipeline: silver\n    layer: silver\n    nodes:\n", "") if one_pipeline \
        else STORY_PROJECT
    for name, text in {"odibi.yaml": project, "transforms.py": TRANSFORMS, "data/orders.csv": ORDERS,
                       "data/customers.csv": CUSTOMERS}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip("\n"), encoding="utf-8")
    return root / "odibi.yaml"
