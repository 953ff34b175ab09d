"""``story:`` and ``system:`` on an object store (S3 on moto, Azure Blob on Azurite): stories, run state,
incremental marks and intermediates land in the bucket/container, ``resume`` finds them there, and nothing
is written to a local folder named after the URL. Stores that cannot work are refused with their location."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan import compile_project
from odibi_provider.runner import run_project
from odibi_provider.store import Store
from tests.cloud.conftest import BUCKET, CONTAINER, SECRETS, azure_spec, open_spec, s3_spec
from tests.fixtures.cloud_servers import AZURITE_ACCOUNT

PROJECT = """
project: remote_state
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
  lake:
LAKE
story: {connection: lake, path: stories}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: p
    layer: silver
    nodes:
      - name: load
        read: {connection: raw, format: csv, path: numbers.csv}
      - name: explode
        depends_on: [load]
        transform: {steps: [{function: maybe_fail}]}
        write: {connection: out, format: csv, path: exploded.csv}
      - name: events
        read: {connection: raw, format: csv, path: events.csv, incremental: {column: ts}}
        write: {connection: out, format: parquet, path: events.parquet, mode: append}
"""
S3_LAKE = """\
    type: s3
    bucket: {bucket}
    prefix: {prefix}
    region: us-east-1
    endpoint_url: {endpoint}
    access_key_id: ${{env:S3_KEY}}
    secret_access_key: ${{env:S3_SECRET}}"""
AZURE_LAKE = """\
    type: azure_blob
    account_name: {account}
    container: {container}
    prefix: {prefix}
    endpoint_url: {endpoint}
    account_key: ${{env:AZ_KEY}}"""
TRANSFORMS = """
from pathlib import Path
from odibi_provider import transform

FLAG = Path(__file__).parent / "fail.flag"


@transform
def maybe_fail(df, context=None):
    if FLAG.exists():
        raise RuntimeError("boom")
    return df
"""
FILES = {"data/numbers.csv": "n\n1\n2\n3\n", "data/events.csv": "id,ts\n1,2026-01-01 10:00:00\n",
         "transforms.py": TRANSFORMS, "fail.flag": "x", ".env": "".join(f"{k}={v}\n" for k, v in SECRETS.items())}


@pytest.fixture(params=["s3", "azure"])
def remote_project(request: pytest.FixtureRequest, make_project: Any) -> tuple[Path, Store]:
    """The project with story and system on the object store; and the store under its fresh prefix."""
    prefix = f"remote-{uuid.uuid4().hex[:10]}"
    if request.param == "s3":
        server = request.getfixturevalue("moto_s3")
        lake = S3_LAKE.format(bucket=BUCKET, prefix=prefix, endpoint=server.endpoint)
        conn = open_spec(s3_spec(server.endpoint, prefix))
    else:
        server = request.getfixturevalue("azurite")
        lake = AZURE_LAKE.format(account=AZURITE_ACCOUNT, container=CONTAINER, prefix=prefix, endpoint=server.endpoint)
        conn = open_spec(azure_spec(server.endpoint, prefix))
    project = make_project(PROJECT.replace("LAKE", lake), files=FILES)
    return project, Store.of_connection(conn, "")


def _local_url_folders(project_dir: Path) -> list[Path]:
    """Folders named like a URL scheme (``s3:``, ``abfs:``), what ``Path("s3://...")`` makes of a URL: in the
    project, or in the working directory (where such a relative path lands)."""
    found = [*project_dir.rglob("*"), *Path.cwd().iterdir()]
    return [p for p in found if p.name.endswith(":")]


def test_story_state_marks_and_intermediates_land_in_the_store_and_resume_finds_them(
        remote_project: tuple[Path, Store]) -> None:
    project, lake = remote_project
    first = run_project(project, workers=2)
    assert [first[n].status for n in ("p.load", "p.explode", "p.events")] == ["success", "failed", "success"]

    story = lake.child("stories", first.run_id)
    assert [s.name for s in story.child("nodes").glob("*.json")] == ["p.events.json", "p.explode.json",
                                                                      "p.load.json"]
    assert first["p.load"].story_path == story.child("nodes", "p.load.json").uri
    assert story.child("nodes", "p.explode.json").read_json()["status"] == "failed"
    assert story.child("run.json").read_json()["failed"] == 1
    assert first.story_html == story.child("index.html").uri
    page = story.child("index.html").read_text()
    assert "p.explode" in page and "boom" in page
    system = lake.child("_system")
    assert system.child("runs", "last.json").read_json()["status"]["p.explode"] == "failed"
    assert system.child("intermediate", first.run_id, "p.load.parquet").exists()
    assert "mark" in system.child("state", "p.events.json").read_json()
    assert _local_url_folders(project.parent) == []
    assert not (project.parent / "stories").exists() and not (project.parent / "_system").exists()

    (project.parent / "fail.flag").unlink()
    resumed = run_project(project, resume=True)  # a new process would find the same: nothing is in memory
    assert resumed.run_id == first.run_id and resumed.ok
    assert [r.node_id for r in resumed.results] == ["p.explode"], "load's intermediate is read from the store"
    assert (project.parent / "out" / "exploded.csv").read_text().split() == ["n", "1", "2", "3"]
    assert system.child("runs", "last.json").read_json()["status"] == {
        "p.load": "success", "p.explode": "success", "p.events": "success"}
    assert story.child("nodes", "p.explode.json").read_json()["status"] == "success"

    again = run_project(project)
    assert again.ok and again["p.events"].rows_written == 0, "the high-water mark is read from the store"
    assert _local_url_folders(project.parent) == []


def test_the_dagster_story_link_helpers_render_in_the_store(remote_project: tuple[Path, Store]) -> None:
    pytest.importorskip("dagster")
    from odibi_provider.dagster.execute import render_story
    from odibi_provider.dagster.metadata import story_index

    project, lake = remote_project
    (project.parent / "fail.flag").unlink()
    run = run_project(project)
    index = lake.child("stories", run.run_id, "index.html")
    index.delete()
    assert render_story(run["p.load"]) is None  # rendered remotely: there is no local file to return
    assert "p.events" in index.read_text()
    assert story_index(run["p.load"].story_path) is None


def test_s3_store_writes_are_all_or_nothing(moto_s3: Any) -> None:
    prefix = f"store-{uuid.uuid4().hex[:8]}"
    conn = open_spec(s3_spec(moto_s3.endpoint, prefix))
    store = Store.of_connection(conn, "_system")
    assert store.uri == f"s3://{BUCKET}/{prefix}/_system" and store.fs is conn.filesystem()
    target = store.child("runs", "last.json")
    target.write_json({"run_id": "r1"})

    def crash(path: Path) -> None:
        path.write_text('{"run_id": ', encoding="utf-8")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed"):
        target.write_with(crash)
    assert target.read_json() == {"run_id": "r1"}
    assert [s.name for s in store.child("runs").glob()] == ["last.json"]


REFUSED = """\
project: refused
connections:
  warehouse: {type: sql, url: 'sqlite:///w.db'}
  out: {type: local, base_path: out}
  lake: {type: s3, bucket: b, endpoint_url: 'http://127.0.0.1:1'}
story: {connection: lake, path: STORY_PATH}
system: {connection: SYSTEM}
pipelines:
  - pipeline: p
    nodes:
      - name: a
        engine: spark
        read: {connection: lake, format: parquet, path: a.parquet}
      - name: b
        depends_on: [a]
        write: {connection: lake, format: parquet, path: b.parquet}
"""


@pytest.mark.parametrize(("story_path", "system", "where", "line", "message"), [
    pytest.param("stories", "warehouse", "system.connection", 7, "'system' needs a file connection; 'warehouse' "
                 "is a sql connection", id="system on a sql connection"),
    pytest.param("../stories", "out", "story.path", 6, "path '../stories' must be relative to the s3 "
                 "connection 'lake'", id="story path leaving the connection"),
    pytest.param("stories", "lake", "system.connection", 7, "the spark engine keeps intermediates only on a "
                 "local system store, and node(s) p.a have no 'write'", id="spark intermediates on s3"),
])
def test_stores_that_cannot_work_are_refused_with_their_location(
        make_project: Any, capsys: pytest.CaptureFixture[str], story_path: str, system: str, where: str, line: int,
        message: str) -> None:
    project = make_project(REFUSED.replace("STORY_PATH", story_path).replace("SYSTEM", system))
    with pytest.raises(ProjectError) as info:
        compile_project(project)
    [problem] = [p for p in info.value.problems if p.severity == "error"]
    assert (problem.file, problem.line, problem.path) == (str(project), line, where)
    assert problem.message.startswith(message)

    from odibi_provider.cli import main

    assert main(["validate", str(project), "--no-color"]) != 0
    assert f"{project}:{line}" in capsys.readouterr().err
    assert not os.path.exists(project.parent / "s3:")
