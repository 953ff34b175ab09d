"""Odibi's write keys on Delta (``overwrite_schema``, ``zorder_by``, ``table_properties``) and ``add_metadata``,
on the embedded engine and on Spark (Sail); the keys this package does not run are refused at validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan.cache import compile_project
from odibi_provider.runner import run_project

PROJECT = """\
project: writes
connections:
  raw: {type: local, base_path: raw}
  lake: {type: local, base_path: lake}
pipelines:
  - pipeline: p
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        write:
          connection: lake
          format: delta
          path: orders
WRITE
"""
ENGINES = [pytest.param("embedded", id="embedded"), pytest.param("spark", id="spark")]


def _project(tmp_path: Path, write: str, rows: str = "id,amount\n2,20\n1,10\n") -> Path:
    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / "orders.csv").write_text(rows)
    lines = "\n".join(f"          {line}" for line in write.strip().splitlines())
    (tmp_path / "odibi.yaml").write_text(PROJECT.replace("WRITE", lines))
    return tmp_path / "odibi.yaml"


def _run(request: pytest.FixtureRequest, project: Path, which: str) -> Any:
    if which == "spark":
        pytest.importorskip("pyspark")
        from tests.engines.conftest import spark_engine

        spark_engine(request.getfixturevalue("sail_session"))
    return run_project(project, workers=1, engine="spark" if which == "spark" else None)["p.orders"]


def _table(tmp_path: Path) -> Any:
    from deltalake import DeltaTable

    return DeltaTable(str(tmp_path / "lake" / "orders"))


def _commits(tmp_path: Path) -> list[dict[str, Any]]:
    log = sorted((tmp_path / "lake" / "orders" / "_delta_log").glob("*.json"))
    return [json.loads(line) for path in log for line in path.read_text().splitlines()]


@pytest.mark.parametrize("which", ENGINES)
def test_table_properties_are_set_on_the_table(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    project = _project(tmp_path, "mode: overwrite\ntable_properties: {delta.appendOnly: 'false', "
                                 "delta.logRetentionDuration: interval 30 days}")
    assert _run(request, project, which).status == "success"
    configuration = _table(tmp_path).metadata().configuration
    assert configuration["delta.logRetentionDuration"] == "interval 30 days"
    assert configuration["delta.appendOnly"] == "false"


def test_table_properties_on_an_existing_table(tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: append")
    assert run_project(project)["p.orders"].status == "success"
    _project(tmp_path, "mode: append\ntable_properties: {delta.logRetentionDuration: interval 7 days}")
    assert run_project(project)["p.orders"].status == "success"
    assert _table(tmp_path).metadata().configuration["delta.logRetentionDuration"] == "interval 7 days"


def test_zorder_by_optimizes_the_table_and_keeps_the_write_id(tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: append\nzorder_by: [id]")
    result = run_project(project)["p.orders"]
    assert result.status == "success", result.error
    history = _table(tmp_path).history()
    assert history[0]["operation"] == "OPTIMIZE"
    assert history[0]["odibi.write_id"] == history[1]["odibi.write_id"], "a retry still finds its write"
    assert sorted(r["id"] for r in _table(tmp_path).to_pyarrow_table().to_pylist()) == [1, 2]


def test_zorder_by_on_a_session_without_optimize_fails_naming_the_key(request: pytest.FixtureRequest,
                                                                    tmp_path: Path) -> None:
    result = _run(request, _project(tmp_path, "mode: overwrite\nzorder_by: [id]"), "spark")
    assert result.status == "failed" and not result.retryable
    assert "write.zorder_by" in result.error and "drop zorder_by" in result.error


@pytest.mark.parametrize("which", ENGINES)
def test_overwrite_schema(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    project = _project(tmp_path, "mode: overwrite\noverwrite_schema: true")
    assert _run(request, project, which).status == "success"
    (tmp_path / "raw" / "orders.csv").write_text("id,customer\n3,ann\n")
    assert _run(request, project, which).status == "success"
    assert [f.name for f in _table(tmp_path).schema().fields] == ["id", "customer"]
    _project(tmp_path, "mode: overwrite\noverwrite_schema: false", rows="id,amount\n4,40\n")
    result = _run(request, project, which)
    assert result.status == "failed", "false keeps the table's schema: a different one fails"
    assert [f.name for f in _table(tmp_path).schema().fields] == ["id", "customer"]


@pytest.mark.parametrize("which", ENGINES)
def test_add_metadata_columns(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    project = _project(tmp_path, "mode: overwrite\nadd_metadata: {source_connection: true}")
    assert _run(request, project, which).status == "success"
    rows = _table(tmp_path).to_pyarrow_table().to_pylist()
    assert {r["_source_file"] for r in rows} == {"orders.csv"}
    assert {r["_source_connection"] for r in rows} == {"raw"}
    assert all(r["_extracted_at"] is not None for r in rows) and "_source_table" not in rows[0]


def test_add_metadata_true_adds_odibis_defaults(tmp_path: Path) -> None:
    assert run_project(_project(tmp_path, "mode: overwrite\nadd_metadata: true"))["p.orders"].status == "success"
    names = [f.name for f in _table(tmp_path).schema().fields]
    assert names == ["id", "amount", "_extracted_at", "_source_file"]


@pytest.mark.parametrize("write, where, message", [
    pytest.param("zorder_by: [id]\nformat: parquet", "write", "'zorder_by' applies to format delta",
                 id="zorder on parquet"),
    pytest.param("mode: append\noverwrite_schema: true", "write", "'overwrite_schema' applies to mode overwrite",
                 id="overwrite_schema on append"),
    pytest.param("skip_hash_columns: [id]", "write", "belong to skip_if_unchanged: true",
                 id="skip_hash_columns without skip_if_unchanged"),
    pytest.param("streaming: {checkpoint_location: /tmp/x}", "write.streaming", "Dagster adapter's landing sensor",
                 id="streaming write"),
    pytest.param("add_metadata: {source_fil: true}", "write.add_metadata.source_fil", "unknown key",
                 id="unknown add_metadata key"),
])
def test_write_keys_located_at_validate(tmp_path: Path, write: str, where: str, message: str) -> None:
    text = PROJECT.replace("          format: delta\n", "" if "format:" in write else "          format: delta\n")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "orders.csv").write_text("id\n1\n")
    (tmp_path / "odibi.yaml").write_text(text.replace("WRITE", "\n".join(f"          {x}" for x in write.splitlines())))
    with pytest.raises(ProjectError) as info:
        compile_project(tmp_path / "odibi.yaml")
    problems = [p for p in info.value.problems if p.path == f"pipelines[0].nodes[0].{where}" and p.line]
    assert any(message in p.message for p in problems), info.value


SQL_PROJECT = """\
project: around
connections:
  raw: {type: local, base_path: raw}
  db: {type: sql, url: "URL"}
pipelines:
  - pipeline: p
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        pre_sql: ["CREATE TABLE IF NOT EXISTS TGT_audit (event VARCHAR(20))", "INSERT INTO TGT_audit VALUES ('pre')"]
        post_sql: [POST]
        write: {connection: db, format: sql, table: TGT, mode: append}
"""


def _sql_project(tmp_path: Path, url: str, table: str, post: str) -> Path:
    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / "orders.csv").write_text("id,amount\n1,10\n2,20\n")
    text = SQL_PROJECT.replace("URL", url).replace("TGT", table).replace("POST", post)
    (tmp_path / "odibi.yaml").write_text(text)
    return tmp_path / "odibi.yaml"


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    import sqlalchemy as sa

    with sa.create_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query))]


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'target.db'}"


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_pre_and_post_sql_run_in_the_writes_transaction(request: pytest.FixtureRequest, tmp_path: Path,
                                                        database: str) -> None:
    url = request.getfixturevalue("postgres").url if database == "postgres" else _sqlite(tmp_path)
    table = f"orders_{tmp_path.name[-6:].replace('-', '_')}"
    post = f"\"INSERT INTO {table}_audit SELECT 'post:' || CAST(count(*) AS VARCHAR(8)) FROM {table}\""
    result = run_project(_sql_project(tmp_path, url, table, post))["p.orders"]
    assert result.status == "success", result.error
    assert _rows(url, f"SELECT event FROM {table}_audit") == [("pre",), ("post:2",)], "post_sql sees the new rows"
    # a failing post_sql rolls back the whole write: the rows, and what pre_sql did
    _sql_project(tmp_path, url, table, f'"INSERT INTO {table}_missing VALUES (1)"')
    result = run_project(tmp_path / "odibi.yaml")["p.orders"]
    assert result.status == "failed"
    assert _rows(url, f"SELECT count(*) FROM {table}") == [(2,)]
    assert _rows(url, f"SELECT event FROM {table}_audit") == [("pre",), ("post:2",)]


def test_pre_sql_without_a_sql_write_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: overwrite")
    project.write_text(project.read_text().replace("        write:\n", "        pre_sql: [SELECT 1]\n        write:\n"))
    with pytest.raises(ProjectError, match="'pre_sql'/'post_sql' run on the node's SQL write target"):
        compile_project(project)


def test_odibi_keys_set_to_off_are_accepted(tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: overwrite\nskip_if_unchanged: false\nskip_hash_columns: []\n"
                                 "register_table: null")
    project.write_text(project.read_text().replace("        write:\n", "        materialized: null\n        write:\n"))
    assert run_project(project)["p.orders"].status == "success"
