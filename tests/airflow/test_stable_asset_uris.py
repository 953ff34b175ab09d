"""One project checked out in two places (a laptop and a container image, a scheduler and a worker) names its
datasets the same way in Airflow, Dagster and OpenLineage: asset-triggered DAGs fire whatever the checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from odibi_provider.airflow import build_dags
from odibi_provider.lineage.naming import node_outputs, openlineage_name
from odibi_provider.plan import load_plan
from tests.airflow.conftest import register, run_state

PROJECT = """
project: Shop Orders
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: ./lake/}
  bucket: {type: s3, bucket: shop-bucket, prefix: exports}
  db: {type: sql, url: "postgresql://etl:s3cret@db.internal:5432/shop"}
story: {connection: lake, path: stories}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: bronze
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: lake, format: parquet, path: ./bronze//orders.parquet}
  - pipeline: silver
    nodes:
      - name: clean
        inputs: {src: $bronze.orders}
        transform: {steps: ["SELECT id, amount FROM src WHERE amount > 0"]}
        write: {connection: lake, format: parquet, path: silver/clean.parquet}
      - name: export
        inputs: {src: $bronze.orders}
        write: {connection: bucket, format: parquet, path: orders.parquet}
      - name: load
        inputs: {src: $bronze.orders}
        write: {connection: db, format: sql, table: sales.orders}
"""


def _checkout(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "orders.csv").write_text("id,amount\n1,10\n2,-1\n", encoding="utf-8")
    (root / "odibi.yaml").write_text(PROJECT, encoding="utf-8")
    return root


def _asset_uris(dags: dict) -> dict[str, set[str]]:
    """Outlets per task and the Assets each DAG is scheduled on."""
    found = {f"{dag_id}.{task.task_id}": {o.uri for o in task.outlets} for dag_id, dag in dags.items()
             for task in dag.tasks}
    found.update({f"{dag_id} schedule": {a.uri for a in dag.timetable.asset_condition.objects}
                  for dag_id, dag in dags.items() if getattr(dag.timetable, "asset_condition", None) is not None})
    return found


def test_two_checkouts_declare_the_same_assets(airflow_db, tmp_path) -> None:
    laptop, image = _checkout(tmp_path / "laptop" / "shop"), _checkout(tmp_path / "srv" / "app" / "project")
    uris = _asset_uris(build_dags(laptop))
    assert uris == _asset_uris(build_dags(image))
    assert uris["Shop_Orders_bronze.orders"] == {"x-odibi://Shop_Orders/lake/bronze/orders.parquet"}
    assert uris["Shop_Orders_silver schedule"] == {"x-odibi://Shop_Orders/lake/bronze/orders.parquet"}
    assert uris["Shop_Orders_silver.export"] == {"s3://shop-bucket/exports/orders.parquet"}  # a real object URI
    assert uris["Shop_Orders_silver.load"] == {"postgresql://db.internal:5432/shop/sales/orders"}  # no password
    assert not any(str(tmp_path) in uri for found in uris.values() for uri in found)


def test_dagster_metadata_and_lineage_use_the_same_uri(tmp_path) -> None:
    from odibi_provider.dagster import build_definitions

    laptop, image = _checkout(tmp_path / "laptop"), _checkout(tmp_path / "image")

    def described(root: Path) -> dict[str, object]:
        specs = build_definitions(root).resolve_all_asset_specs()
        return {s.key.to_user_string(): s.metadata.get("dagster/uri") for s in specs}

    uris = described(laptop)
    assert uris == described(image)
    assert uris["silver/clean"] == "x-odibi://Shop_Orders/lake/silver/clean.parquet"
    assert uris["source/raw/orders_csv"] == "x-odibi://Shop_Orders/raw/orders.csv"  # the raw input too
    plan = load_plan(laptop)
    (written,) = node_outputs(plan, plan.node("silver.clean"))
    assert (written.namespace, written.name) == ("x-odibi://Shop_Orders", "lake/silver/clean.parquet")
    assert openlineage_name(written.uri) == (written.namespace, written.name)


@pytest.mark.parametrize("moved", [False, True], ids=["same checkout", "moved after parsing"])
def test_asset_events_chain_and_carry_path_rows_status_and_story(airflow_db, tmp_path, moved) -> None:
    """The writer's Asset event, made by a worker, reaches the DAG parsed from another checkout."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    root = _checkout(tmp_path / "a")
    reader_root = _checkout(tmp_path / "b") if moved else root
    bronze = register(build_dags(root)["Shop_Orders_bronze"])
    silver = build_dags(reader_root)["Shop_Orders_silver"]
    dag_run = bronze.test()
    assert run_state(dag_run) == "success"
    with create_session() as session:
        ((uri, extra),) = session.execute(select(AssetModel.uri, AssetEvent.extra).join(AssetEvent.asset).where(
            AssetEvent.source_run_id == dag_run.run_id)).all()
    assert {a.uri for a in silver.timetable.asset_condition.objects} == {uri}
    assert extra["path"] == str((root / "lake" / "bronze" / "orders.parquet").resolve())  # where it was written
    assert extra["rows"] == 2 and extra["status"] == "success" and extra["odibi_node"] == "bronze.orders"
    assert extra["story"]


def test_a_moved_checkout_keeps_its_data_identity(tmp_path) -> None:
    """The Plan names local data by project and connection: moving the folder changes no dataset URI."""
    first = _checkout(tmp_path / "first")
    before = {d.node_id: d.uri for d in load_plan(first).datasets}
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(str(first), moved)
    assert {d.node_id: d.uri for d in load_plan(moved).datasets} == before
