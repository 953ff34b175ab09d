"""The project's ``lineage:`` in-process: OpenLineage START/COMPLETE/FAIL per node and per pipeline run at a
local HTTP receiver, with OpenLineage dataset names, schema, row count and SQL facets; the file transport."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.lineage.naming import openlineage_name
from odibi_provider.plan.cache import load_plan
from odibi_provider.runner import run_project
from tests.fixtures.receivers import closed_port_url, receiver, write_project

LINEAGE_PATH = "/api/v1/lineage"


def by_job(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for event in events:
        out.setdefault(event["job"]["name"], []).append(event["eventType"])
    return out


def check_node_events(events: list[dict[str, Any]], project: Path, namespace: str = "shop_ns") -> None:
    """What every host must deliver for the failing write_project: the same names, facets and states."""
    nodes = {k: v for k, v in by_job(events).items() if "." in k}
    assert nodes == {"shop.load": ["START", "COMPLETE"], "shop.totals": ["START", "FAIL"]}
    load = next(e for e in events if e["job"]["name"] == "shop.load" and e["eventType"] == "COMPLETE")
    assert load["job"]["namespace"] == namespace
    assert [(d["namespace"], d["name"]) for d in load["inputs"]] == [("x-odibi://shop", "local/orders.csv")]
    [output] = load["outputs"]
    assert (output["namespace"], output["name"]) == ("x-odibi://shop", "local/bronze/orders.parquet")
    assert all(str(project.parent) not in d["namespace"] + d["name"] for d in [*load["inputs"], output])
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 2  # one of three rows quarantined
    assert [(f["name"], f["type"]) for f in output["facets"]["schema"]["fields"]] == [("id", "BIGINT"),
                                                                                      ("amount", "BIGINT")]
    failed = next(e for e in events if e["job"]["name"] == "shop.totals" and e["eventType"] == "FAIL")
    assert "no_such_column" in failed["job"]["facets"]["sql"]["query"]
    assert "no_such_column" in failed["run"]["facets"]["errorMessage"]["message"]
    assert [d["name"] for d in failed["inputs"]] == ["local/bronze/orders.parquet"]
    starts = {e["job"]["name"]: e["run"]["runId"] for e in events if e["eventType"] == "START"}
    assert failed["run"]["runId"] == starts["shop.totals"]
    parent = failed["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"]) == (namespace, "shop")
    assert len({e["run"]["facets"]["parent"]["run"]["runId"] for e in events if "." in e["job"]["name"]}) == 1


def test_openlineage_events_reach_an_http_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_KEY", "k3y-secret")
    with receiver() as server:
        blocks = f"lineage:\n  url: {server.url}\n  namespace: shop_ns\n  api_key: ${{env:LINEAGE_KEY}}\n"
        project = write_project(tmp_path, blocks, fail=True)
        run_project(project)
        events = server.bodies(LINEAGE_PATH)
    check_node_events(events, project)
    assert set(server.authorization) == {"Bearer k3y-secret"}
    assert by_job(events)["shop"] == ["START", "FAIL"]  # the pipeline run, parent of the node runs
    pipeline_start = next(e for e in events if e["job"]["name"] == "shop")
    node = next(e for e in events if e["job"]["name"] == "shop.load")
    assert node["run"]["facets"]["parent"]["run"]["runId"] == pipeline_start["run"]["runId"]


def test_the_file_transport_appends_one_event_per_line(tmp_path: Path) -> None:
    project = write_project(tmp_path, "lineage:\n  transport: file\n  path: lineage/events.jsonl\n")
    assert run_project(project).ok
    lines = (project / "lineage" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert by_job(events) == {"shop": ["START", "COMPLETE"], "shop.load": ["START", "COMPLETE"],
                              "shop.totals": ["START", "COMPLETE"]}
    assert {e["job"]["namespace"] for e in events} == {"odibi"}  # Odibi's default namespace


def test_an_unreachable_receiver_never_fails_the_run(tmp_path: Path) -> None:
    project = write_project(tmp_path, f"lineage:\n  url: {closed_port_url()}\n")
    assert run_project(project).ok


CONVENTIONS = {  # Plan URI (Airflow Asset, dagster/uri) -> OpenLineage (namespace, name)
    "s3://bucket/raw/orders.parquet": ("s3://bucket", "raw/orders.parquet"),
    "gs://bucket/raw/x": ("gs://bucket", "raw/x"),
    "abfs://lake@acct.dfs.core.windows.net/silver/t": ("abfss://lake@acct.dfs.core.windows.net", "silver/t"),
    "postgresql://db.local:5432/shop/public/orders": ("postgres://db.local:5432", "shop.public.orders"),
    "mssql://sql.local/shop/dbo/orders": ("sqlserver://sql.local", "shop.dbo.orders"),
    "sqlite:///tmp/app.db/orders": ("sqlite:///tmp/app.db", "orders"),
}


def test_dataset_names_follow_the_plan_uris_hosts_use(tmp_path: Path) -> None:
    plan = load_plan(write_project(tmp_path, "lineage: {transport: console}\n"))
    [dataset] = [d for d in plan.datasets if d.node_id == "shop.load"]
    assert openlineage_name(dataset.uri) == ("x-odibi://shop", "local/bronze/orders.parquet")
    assert {uri: openlineage_name(uri) for uri in CONVENTIONS} == CONVENTIONS


def test_file_transport_without_a_path_is_refused_with_its_location(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"(?s)lineage.*transport: file needs 'path'"):
        load_plan(write_project(tmp_path, "lineage: {transport: file}\n"))
