"""What Airflow users see of a node: docs for every task, the node's SQL under Rendered Templates, odibi's
warning status and quarantine counts on the Asset event, no TaskGroup that groups nothing, downstream DAGs
that are not paused, and a hand-written DAG that runs without a logical date and triggers nothing."""

from __future__ import annotations

from pathlib import Path

from odibi_provider.airflow import build_dags
from tests.airflow.conftest import register, run_state, task_states

PROJECT = """
project: polish
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
story: {connection: lake, path: stories}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: bronze
    layer: bronze
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: lake, format: parquet, path: orders.parquet}
  - pipeline: silver
    layer: silver
    nodes:
      - name: clean
        description: Orders with a positive amount.
        inputs: {src: $bronze.orders}
        transform: {steps: ["SELECT id, amount FROM src WHERE amount > 0"]}
        validation:
          tests: [{type: range, column: amount, max: 100, on_fail: quarantine}]
          quarantine: {connection: lake, path: quarantine.parquet}
        write: {connection: lake, format: parquet, path: clean.parquet}
"""


def _project(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "orders.csv").write_text("id,amount\n1,10\n2,500\n3,-1\n", encoding="utf-8")
    (root / "odibi.yaml").write_text(PROJECT, encoding="utf-8")
    return root


def test_tasks_have_docs_sql_and_no_single_group(airflow_db, tmp_path) -> None:
    dags = build_dags(_project(tmp_path / "p"))
    bronze, silver = dags["polish_bronze"], dags["polish_silver"]
    assert set(silver.task_dict) == {"clean"} and not silver.task_group.children.keys() - {"clean"}
    orders = bronze.task_dict["orders"]
    assert "read: `raw` csv `orders.csv`" in orders.doc_md  # a node without a description still has docs
    clean = silver.task_dict["clean"]
    assert clean.doc_md.startswith("Orders with a positive amount.")
    assert "SELECT id, amount FROM src WHERE amount > 0" in clean.odibi_definition
    assert clean.template_fields_renderers["odibi_definition"] == "sql"
    assert bronze.is_paused_upon_creation is None  # a manual DAG: Airflow's default
    assert silver.is_paused_upon_creation is False  # scheduled on bronze's Assets: unpaused, or nothing chains


def test_rendered_sql_and_warning_status_reach_airflow(airflow_db, tmp_path) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session
    from sqlalchemy import select

    root = _project(tmp_path / "p")
    dags = build_dags(root)
    assert run_state(register(dags["polish_bronze"]).test()) == "success"
    silver = register(dags["polish_silver"])
    dag_run = silver.test()
    assert task_states(dag_run)["clean"][0] == "success"
    with create_session() as session:
        rendered = session.scalars(select(RenderedTaskInstanceFields).where(
            RenderedTaskInstanceFields.dag_id == silver.dag_id, RenderedTaskInstanceFields.run_id == dag_run.run_id)
        ).one().rendered_fields
        (extra,) = session.scalars(select(AssetEvent.extra).join(AssetEvent.asset).where(
            AssetEvent.source_run_id == dag_run.run_id, AssetModel.uri.like("%clean.parquet"))).all()
    assert "WHERE amount > 0" in rendered["odibi_definition"] and "raw %}" not in rendered["odibi_definition"]
    assert extra["status"] == "warning" and extra["quarantined_rows"] == 1 and extra["rows"] == 1
