"""odibi_de_v2's front doors over the same runner: its event names and payloads, layer filters, log sinks,
``run_project(name, env, target_layers=..., log_sink=...)`` with its summary fields, and ``@odibi_function``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from odibi_provider import FileLogSink, HookManager, SQLTableLogSink, odibi_function, run_project
from odibi_provider.errors import OdibiError
from odibi_provider.hooks import DeltaLogSink, Event, EventType

PROJECT = """
project: Sales_Analytics
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {connection: out, path: stories, enabled: false}
system: {connection: out, path: _system}
environments:
  qat:
    vars: {min_amount: 10}
vars: {min_amount: 0}
pipelines:
  - pipeline: bronze_sales
    layer: Bronze
    nodes:
      - name: load_sales
        read: {connection: raw, format: csv, path: sales.csv}
        write: {connection: out, format: parquet, path: bronze/sales.parquet}
  - pipeline: silver_sales
    layer: Silver
    nodes:
      - name: clean_sales
        depends_on: [bronze_sales.load_sales]
        transform: {steps: [{function: seed_clean, params: {min_amount: "${vars.min_amount}"}}]}
        write: {connection: out, format: parquet, path: silver/sales.parquet}
      - name: broken
        depends_on: [bronze_sales.load_sales]
        on_error: fail_later
        transform: {steps: ["SELECT no_such_column FROM df"]}
"""
TRANSFORMS = """
from odibi_provider import odibi_function


@odibi_function(engine="pandas", version="1.0", author="sales team", tags=["cleaning"])
def seed_clean(df, context=None, min_amount=0):
    return df[df["amount"] >= min_amount]


@odibi_function(engine="spark", version="1.0")
def seed_clean(df, context=None, min_amount=0):  # noqa: F811 - the spark variant of the same name
    raise AssertionError("the spark variant must not run on the embedded engine")
"""
SALES = "id,amount\n1,5\n2,15\n3,25\n"


@pytest.fixture
def sales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "projects" / "sales"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "sales.csv").write_text(SALES)
    (folder / "odibi.yaml").write_text(PROJECT)
    (folder / "transforms.py").write_text(TRANSFORMS)
    monkeypatch.chdir(tmp_path)
    return folder


def test_run_by_project_name_with_positional_env_and_seed_summary(sales: Path) -> None:
    result = run_project("Sales Analytics", "qat")
    assert result.status == "failed"
    assert result.layers_executed == ("Bronze", "Silver")
    assert result.duration_seconds == result.duration_s > 0
    assert [e["node"] for e in result.errors] == ["silver_sales.broken"]
    assert "no_such_column" in (result.errors[0]["error"] or "")
    import pyarrow.parquet as pq

    # qat's min_amount (10) applied by the pandas variant of seed_clean
    assert sorted(pq.read_table(sales / "out/silver/sales.parquet").column("amount").to_pylist()) == [15, 25]


def test_unknown_project_name_lists_the_projects(sales: Path) -> None:
    with pytest.raises(OdibiError, match=r"did you mean .Sales_Analytics."):
        run_project("Sales Analytcs", "qat")


def test_target_layers_runs_only_those_layers(sales: Path) -> None:
    run_project(sales / "odibi.yaml", "qat", target_layers=["bronze"])
    assert (sales / "out/bronze/sales.parquet").exists()
    assert not (sales / "out/silver").exists()
    with pytest.raises(OdibiError, match=r"target layer 'Platinum'.*Bronze, Silver"):
        run_project(sales / "odibi.yaml", "qat", target_layers=["Platinum"])


def test_seed_event_names_get_the_seed_payload_with_layer_filters(sales: Path) -> None:
    hooks = HookManager()
    seen: dict[str, list[dict]] = {"success": [], "silver": [], "failure": [], "layer_end": [], "run": [],
                                    "bronze": []}
    hooks.on("transform_success")(seen["success"].append)
    hooks.on("transform_success", filters={"layer": "Silver"})(seen["silver"].append)
    hooks.on("transform_failure")(seen["failure"].append)
    hooks.on("layer_end")(seen["layer_end"].append)
    hooks.on(["orchestrator_run_start", "orchestrator_run_end"])(seen["run"].append)
    hooks.on("bronze_end")(seen["bronze"].append)
    run_project(sales / "odibi.yaml", "qat", hooks=hooks)

    assert {p["function"] for p in seen["success"]} == {"load_sales", "seed_clean"}
    clean = next(p for p in seen["success"] if p["function"] == "seed_clean")
    assert clean["transformation_id"] == "clean_sales" and clean["layer"] == "Silver"
    assert clean["duration"] is not None and clean["project"] == "Sales_Analytics"
    assert clean["output_table"] and clean["status"] == "success"
    assert [p["transformation_id"] for p in seen["silver"]] == ["clean_sales"]
    assert [p["transformation_id"] for p in seen["failure"]] == ["broken"]
    assert "no_such_column" in seen["failure"][0]["error"]
    assert {p["layer"] for p in seen["layer_end"]} == {"Bronze", "Silver"}
    assert [p["event"] for p in seen["run"]] == ["run_start", "run_end"]
    assert seen["run"][1]["details"]["status"] == "failed"
    assert [p["layer"] for p in seen["bronze"]] == ["Bronze"]


def test_seed_emit_and_refused_seed_events() -> None:
    hooks = HookManager()
    got: list[dict] = []
    hooks.on("transform_success", filters={"project": "Energy"})(got.append)
    hooks.emit("transform_success", {"transformation_id": "t1", "function": "clean", "duration": 1.5,
                                     "project": "Energy"})
    hooks.emit("transform_success", {"function": "other", "project": "Sales"})
    assert [(p["function"], p["duration"]) for p in got] == [("clean", 1.5)]
    with pytest.raises(ValueError, match="caching is a node setting"):
        hooks.on("caching_start")(print)
    with pytest.raises(ValueError, match="separately"):
        hooks.on(["transform_success", "node_complete"])(print)


def test_log_sinks_record_one_row_per_node(sales: Path, tmp_path: Path) -> None:
    csv_sink = FileLogSink(tmp_path / "logs" / "transformations.csv")
    run_project(sales / "odibi.yaml", "qat", log_sink=csv_sink)
    rows = csv_sink.read()
    assert {(r["transformation_id"], r["status"]) for r in rows} == {
        ("load_sales", "success"), ("clean_sales", "success"), ("broken", "failed")}
    assert next(r for r in rows if r["transformation_id"] == "clean_sales")["rows"] == "2"

    jsonl = FileLogSink(tmp_path / "logs" / "t.jsonl")
    sql_url = f"sqlite:///{tmp_path / 'logs.db'}"
    hooks = SQLTableLogSink(sql_url).attach(HookManager())
    run_project(sales / "odibi.yaml", "qat", hooks=hooks, log_sink=jsonl)
    assert {r["function"] for r in jsonl.read()} == {"seed_clean", None}  # load_sales calls no function
    with sqlite3.connect(tmp_path / "logs.db") as con:
        logged = con.execute("SELECT transformation_id, status, layer FROM odibi_transformation_log "
                             "ORDER BY transformation_id").fetchall()
    assert logged == [("broken", "failed", "Silver"), ("clean_sales", "success", "Silver"),
                      ("load_sales", "success", "Bronze")]
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        FileLogSink(tmp_path / "log.txt")


def test_delta_log_sink_appends_rows(tmp_path: Path) -> None:
    from deltalake import DeltaTable

    sink = DeltaLogSink(tmp_path / "log_delta")
    hooks = sink.attach(HookManager())
    for node, kind in (("silver.a", EventType.NODE_COMPLETE), ("silver.b", EventType.NODE_ERROR)):
        hooks.emit(Event(kind, run_id="r1", project="p", pipeline="silver", layer="Silver", node=node,
                         duration_s=0.5, error="bad" if kind is EventType.NODE_ERROR else None))
    hooks.emit(Event(EventType.NODE_START, run_id="r1", project="p", node="silver.c"))  # not a log row
    rows = DeltaTable(str(tmp_path / "log_delta")).to_pyarrow_table().to_pylist()
    assert sorted((r["node"], r["status"], r["error"]) for r in rows) == [
        ("silver.a", "success", None), ("silver.b", "failed", "bad")]


def test_odibi_function_rejects_an_unknown_engine() -> None:
    with pytest.raises(Exception, match="'any', 'pandas' or 'spark'"):
        odibi_function(engine="polars")


def test_seed_payload_is_json_ready(sales: Path, tmp_path: Path) -> None:
    hooks = HookManager()
    payloads: list[str] = []
    hooks.on("transform_start")(lambda p: payloads.append(json.dumps(p, default=str)))
    run_project(sales / "odibi.yaml", "qat", hooks=hooks, target_layers="Bronze")
    assert [json.loads(p)["function"] for p in payloads] == ["load_sales"]
