"""End to end: bronze lands local CSV as Parquet on S3 (moto) and Delta on Azure (Azurite); silver reads both."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from odibi_provider.runner import run_project
from tests.cloud.conftest import BUCKET, CONTAINER, SECRETS
from tests.fixtures.cloud_servers import AZURITE_ACCOUNT

PROJECT = """
project: cloud_lake
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
  s3lake:
    type: s3
    bucket: BUCKET
    prefix: PREFIX
    region: us-east-1
    endpoint_url: MOTO
    access_key_id: ${env:S3_KEY}
    secret_access_key: ${env:S3_SECRET}
  azlake:
    type: azure_adls
    account_name: ACCOUNT
    container: CONTAINER
    prefix: PREFIX
    endpoint_url: AZURITE
    account_key: ${env:AZ_KEY}
story: {connection: out, path: stories}
system: {connection: out, path: _system}
pipelines:
  - pipeline: bronze
    layer: bronze
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: s3lake, format: parquet, path: bronze/orders.parquet}
      - name: customers
        read: {connection: raw, format: csv, path: customers.csv}
        write: {connection: azlake, format: delta, path: bronze/customers, mode: upsert, merge_keys: [id]}
  - pipeline: silver
    layer: silver
    nodes:
      - name: orders
        read: {connection: s3lake, format: parquet, path: bronze/orders.parquet}
      - name: customer_totals
        read: {connection: azlake, format: delta, path: bronze/customers}
        depends_on: [orders]
        transform:
          steps:
            - >-
              SELECT c.name, sum(o.amount) AS total FROM df c JOIN orders o ON o.customer_id = c.id
              GROUP BY c.name ORDER BY c.name
        write: {connection: out, format: parquet, path: customer_totals.parquet}
"""
ORDERS = "order_id,customer_id,amount\n1,1,10\n2,1,5\n3,2,7\n"
CUSTOMERS = "id,name\n1,ada\n2,bob\n"


def test_bronze_to_object_stores_and_silver_back(make_project: Any, moto_s3: Any, azurite: Any) -> None:
    if azurite.version < (3, 37):
        pytest.skip("Azurite 3.37+ is needed for Delta (List Blobs startFrom)")
    prefix = f"e2e-{uuid.uuid4().hex[:10]}"
    text = PROJECT
    for token, value in {"BUCKET": BUCKET, "CONTAINER": CONTAINER, "PREFIX": prefix, "MOTO": moto_s3.endpoint,
                         "AZURITE": azurite.endpoint, "ACCOUNT": AZURITE_ACCOUNT}.items():
        text = text.replace(token, value)
    dotenv = "".join(f"{k}={v}\n" for k, v in SECRETS.items())
    project = make_project(text, files={"data/orders.csv": ORDERS, "data/customers.csv": CUSTOMERS,
                                        ".env": dotenv})
    for _ in range(2):  # a second run replaces the parquet and upserts the delta table: same results
        run = run_project(project, workers=2)
        assert run.ok, [(r.node_id, r.error) for r in run.results]
        totals = pq.read_table(project.parent / "out" / "customer_totals.parquet").to_pylist()
        assert totals == [{"name": "ada", "total": 15}, {"name": "bob", "total": 7}]
    orders, customers = run["bronze.orders"], run["bronze.customers"]
    assert (orders.rows_written, orders.location) == (3, f"s3://{BUCKET}/{prefix}/bronze/orders.parquet")
    assert (customers.rows_written, customers.location) == (2, f"abfs://{CONTAINER}/{prefix}/bronze/customers")
    assert customers.dataset_uri == (f"abfs://{CONTAINER}@{AZURITE_ACCOUNT}.dfs.core.windows.net/{prefix}/"
                                     "bronze/customers")
    _assert_no_secrets(project.parent / "out")


def _assert_no_secrets(folder: Path) -> None:
    secrets = [SECRETS["S3_SECRET"], SECRETS["AZ_KEY"], SECRETS["S3_KEY"]]
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert not [s for s in secrets if s in text], path
