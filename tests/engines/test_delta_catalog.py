"""Odibi's Delta catalog connections (``type: delta``, ``catalog``/``schema``, ``table:``) on both engines:
table T of catalog C, schema S is the Delta table at ``<root>/C/S/T``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan.cache import load_plan
from odibi_provider.runner import run_project
from tests.engines.conftest import spark_engine

PROJECT = """
project: catalog_demo
connections:
  raw: {type: local, base_path: data}
  silver:
    type: delta
    catalog: spark_catalog
    schema: silver_db
EXTRA
pipelines:
  - pipeline: p
    nodes:
      - name: land
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: silver, format: delta, table: orders}
      - name: totals
        read: {connection: silver, format: delta, table: silver_db.orders}
        transform:
          steps: ["SELECT region, sum(amount) AS total FROM df GROUP BY region ORDER BY region"]
        write: {connection: silver, format: delta, table: spark_catalog.silver_db.totals}
"""
ORDERS = "id,region,amount\n1,eu,10\n2,us,5\n3,eu,7\n"


def _project(make_project: Any, extra: str = "", connection: str = "") -> Path:
    text = PROJECT.replace("EXTRA", extra).replace("    schema: silver_db\n", f"    schema: silver_db\n{connection}")
    return make_project(text, files={"data/orders.csv": ORDERS})


def _rows(table: Path) -> list[dict[str, Any]]:
    from deltalake import DeltaTable

    return sorted(DeltaTable(str(table)).to_pyarrow_table().to_pylist(), key=lambda r: r["region"])


TOTALS = [{"region": "eu", "total": 17}, {"region": "us", "total": 5}]


def test_write_then_read_back_a_catalog_table_under_the_system_warehouse(make_project: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ODIBI_PROVIDER_CATALOG_DIR", raising=False)
    project = _project(make_project)

    run = run_project(project, workers=1)

    assert run.ok, [(r.node_id, r.error) for r in run.results if r.error]
    warehouse = project.parent / ".odibi" / "warehouse" / "spark_catalog" / "silver_db"
    assert len(_rows(warehouse / "orders")) == 3
    assert _rows(warehouse / "totals") == TOTALS
    plan = load_plan(project)
    assert ("p.land", "p.totals", "dataset") in {(e.upstream, e.downstream, e.kind) for e in plan.edges}
    assert plan.node("p.land").write.path == "spark_catalog/silver_db/orders"


def test_the_catalog_dir_variable_and_the_system_store_move_the_root(make_project: Any, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ODIBI_PROVIDER_CATALOG_DIR", raising=False)
    project = _project(make_project, "  out: {type: local, base_path: out}\nsystem: {connection: out, path: _sys}")
    assert run_project(project, workers=1).ok
    assert _rows(project.parent / "out" / "_sys" / "warehouse" / "spark_catalog" / "silver_db" / "totals") == TOTALS

    monkeypatch.setenv("ODIBI_PROVIDER_CATALOG_DIR", str(tmp_path / "shared_catalog"))
    other = _project(make_project)
    assert run_project(other, workers=1).ok
    assert _rows(tmp_path / "shared_catalog" / "spark_catalog" / "silver_db" / "totals") == TOTALS
    assert not (other.parent / ".odibi" / "warehouse").exists()


def test_odibis_path_form_gives_the_root(make_project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_PROVIDER_CATALOG_DIR", "/nonexistent-should-not-be-used")
    project = _project(make_project, connection="    path: lakehouse\n")
    assert run_project(project, workers=1).ok
    assert _rows(project.parent / "lakehouse" / "spark_catalog" / "silver_db" / "totals") == TOTALS
    dataset = load_plan(project).dataset("silver:path:spark_catalog/silver_db/totals")
    assert dataset is not None and dataset.uri == "x-odibi://catalog_demo/silver/spark_catalog/silver_db/totals"


def test_spark_writes_the_catalog_table_the_embedded_engine_reads(make_project: Any, sail_session: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ODIBI_PROVIDER_CATALOG_DIR", raising=False)
    spark_engine(sail_session)
    project = _project(make_project)

    run = run_project(project, workers=1, engine="spark")

    assert run.ok, [(r.node_id, r.error) for r in run.results if r.error]
    warehouse = project.parent / ".odibi" / "warehouse" / "spark_catalog" / "silver_db"
    assert _rows(warehouse / "totals") == TOTALS
    again = run_project(project, workers=1)  # the embedded engine, over what Spark wrote
    assert again.ok and _rows(warehouse / "totals") == TOTALS


@pytest.mark.parametrize(("write", "message", "where"), [
    pytest.param("{connection: silver, format: parquet, table: t}", "with format 'delta', not 'parquet'",
                 "write.format", id="not delta"),
    pytest.param("{connection: silver, format: delta, path: lake/t}", "addresses tables, not paths", "write.path",
                 id="a path"),
    pytest.param("{connection: silver, format: delta, table: main.silver_db.t}", "is in catalog 'main'",
                 "write.table", id="another catalog"),
    pytest.param("{connection: silver, format: delta, table: a.b.c.d}", "is not a name of the form",
                 "write.table", id="too many parts"),
])
def test_catalog_misuse_is_located(make_project: Any, write: str, message: str, where: str) -> None:
    project = make_project(f"""
        project: bad_catalog
        connections:
          raw: {{type: local, base_path: data}}
          silver: {{type: delta, catalog: spark_catalog, schema: silver_db}}
        pipelines:
          - pipeline: p
            nodes:
              - name: n
                read: {{connection: raw, format: csv, path: x.csv}}
                write: {write}
        """)
    with pytest.raises(ProjectError) as info:
        load_plan(project)
    text = str(info.value)
    assert message in text and f"pipelines[0].nodes[0].{where}" in text and "odibi.yaml:" in text


def test_a_bare_path_names_a_table_and_story_system_may_live_on_the_catalog(make_project: Any) -> None:
    """As in Odibi's docs: ``path: fact_orders`` on a catalog connection is table ``catalog.schema.fact_orders``,
    and ``story``/``system`` may name the catalog connection (folders under its root)."""
    project = make_project("""
        project: docs_style
        connections:
          raw: {type: local, base_path: data}
          warehouse: {type: delta, catalog: main, schema: warehouse}
        story: {connection: warehouse, path: stories}
        system: {connection: warehouse}
        pipelines:
          - pipeline: p
            nodes:
              - name: orders
                read: {connection: raw, format: csv, path: orders.csv}
                write: {connection: warehouse, format: delta, path: fact_orders}
              - name: again
                read: {connection: warehouse, format: delta, path: fact_orders}
                write: {connection: warehouse, format: delta, table: orders_copy}
        """, {"data/orders.csv": "id\n1\n2\n"})
    plan = load_plan(project)
    assert plan.node("p.orders").write.path == "main/warehouse/fact_orders"
    assert plan.node("p.again").upstream == ("p.orders",)
    result = run_project(project, workers=1)
    assert result.ok, [r.error for r in result.results if r.error]
    root = project.parent / ".odibi" / "warehouse"
    from deltalake import DeltaTable

    copied = DeltaTable(str(root / "main" / "warehouse" / "orders_copy")).to_pyarrow_table().to_pylist()
    assert sorted(r["id"] for r in copied) == [1, 2]
    assert list((root / "stories").glob("*/index.html"))
