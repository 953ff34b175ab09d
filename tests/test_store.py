"""The Store: odibi's own files on a local folder or an fsspec filesystem, every write all or nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from odibi_provider.store import Store, StoreError


class Crash(RuntimeError):
    """Stands for the process dying in the middle of a write."""


def _half_then_crash(path: Path) -> None:
    path.write_text('{"version": ', encoding="utf-8")  # half a JSON document, then the "crash"
    raise Crash("killed mid-write")


@pytest.fixture
def memory_root() -> Store:
    """A remote store on fsspec's in-memory filesystem, under a fresh folder."""
    fsspec = pytest.importorskip("fsspec")
    return Store.remote(f"memory://odibi-{uuid.uuid4().hex[:8]}/system", fsspec.filesystem("memory"))


@pytest.fixture(params=["local", "memory"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Each kind of store in turn: a local folder, an fsspec (memory) filesystem."""
    if request.param == "local":
        return Store.local(tmp_path / "system")
    return request.getfixturevalue("memory_root")


def test_json_round_trip_creates_folders(root: Store) -> None:
    target = root.child("runs", "last.json")
    assert not target.exists()
    data = {"run_id": "r1", "status": {"a.b": "success"}, "note": "ünïcode", "when": Path("/x")}
    assert target.write_json(data) == target
    assert target.exists()
    assert target.read_json() == {**data, "when": "/x"}  # values JSON does not know become strings
    target.write_json({"run_id": "r2"}, indent=None)
    assert target.read_json() == {"run_id": "r2"}
    assert root.child("runs/last.json") == target


def test_text_and_bytes(root: Store) -> None:
    page = root.child("run-1", "index.html")
    page.write_text("<p>ok</p>")
    assert page.read_text() == "<p>ok</p>"
    page.write_bytes(b"\x00\x01")
    assert page.read_bytes() == b"\x00\x01"
    with pytest.raises(FileNotFoundError):
        root.child("missing.json").read_json()


def test_a_crash_mid_write_leaves_the_old_content_and_no_stage(root: Store) -> None:
    target = root.child("state", "p.events.json")
    target.write_json({"mark": 1})
    with pytest.raises(Crash):
        target.write_with(_half_then_crash)
    assert target.read_json() == {"mark": 1}
    assert [s.name for s in target.parent.glob()] == ["p.events.json"]
    if target.is_local:  # nothing hidden left behind either
        assert [p.name for p in target.local_path().parent.iterdir()] == ["p.events.json"]


def test_a_crash_on_the_first_write_leaves_nothing(root: Store) -> None:
    target = root.child("fresh.json")
    with pytest.raises(Crash):
        target.write_with(_half_then_crash)
    assert not target.exists()


def test_write_with_builds_a_whole_file(root: Store) -> None:
    target = root.child("intermediate", "run-1", "node.bin")
    target.write_with(lambda path: path.write_bytes(b"complete"))
    assert target.read_bytes() == b"complete"


def test_glob_lists_direct_entries_sorted_and_skips_hidden(root: Store) -> None:
    nodes = root.child("run-1", "nodes")
    for name in ["b.json", "a.json", "c.txt", ".a.json.tmp-123"]:
        nodes.child(name).write_text("{}")
    nodes.child("sub", "deep.json").write_text("{}")
    assert [s.name for s in nodes.glob("*.json")] == ["a.json", "b.json"]
    assert [s.name for s in nodes.glob()] == ["a.json", "b.json", "c.txt", "sub"]
    assert nodes.glob("*.json")[0] == nodes.child("a.json")
    assert root.child("nothing-here").glob() == []


def test_delete_a_file_and_a_tree(root: Store) -> None:
    run = root.child("intermediate", "run-1")
    run.child("a.parquet").write_text("a")
    run.child("b.parquet").write_text("b")
    run.child("a.parquet").delete()
    assert [s.name for s in run.glob()] == ["b.parquet"]
    run.delete()
    assert not run.child("b.parquet").exists()
    run.delete()  # nothing left: no error


def test_children_stay_below_the_root(root: Store) -> None:
    for bad in ["../escape", "a/../../b", "/abs", "s3://other/bucket"]:
        with pytest.raises(StoreError, match="relative path below"):
            root.child(bad)
    assert root.child("a", "b").relative_to(root) == "a/b"
    assert root.child("a", "b").parent.parent == root
    with pytest.raises(StoreError, match="is not below"):
        root.relative_to(root.child("a"))


def test_local_store_paths_and_links(tmp_path: Path) -> None:
    store = Store.local(tmp_path / "x" / ".." / "stories")
    assert store.uri == str(tmp_path / "stories") and store.is_local
    assert store.local_path() == tmp_path / "stories" and Path(store) == tmp_path / "stories"
    assert store.url == (tmp_path / "stories").as_uri()
    assert Store.locate(f"file://{tmp_path}/stories") == store
    assert Store.locate(tmp_path / "stories") == store


def test_remote_store_has_no_local_path_and_is_found_again_by_url(memory_root: Store) -> None:
    assert not memory_root.is_local and memory_root.url == memory_root.uri
    with pytest.raises(StoreError, match="not on this machine"):
        memory_root.local_path()
    fragment = memory_root.child("run-1", "nodes", "a.json")
    fragment.write_json({"node_id": "a"})
    found = Store.locate(fragment.uri)  # a story_path string is all an adapter has
    assert found == fragment and found.fs is memory_root.fs
    assert found.read_json() == {"node_id": "a"}
    assert found.parent.parent == memory_root.child("run-1")


def test_of_connection_maps_local_and_object_store_connections(tmp_path: Path) -> None:
    from odibi_provider.connections.local import LocalConnection

    local = Store.of_connection(LocalConnection("out", "out", tmp_path), "_system")
    assert local == Store.local(tmp_path / "out" / "_system")

    class NotAFileStore:
        name = "warehouse"

    with pytest.raises(StoreError, match="'warehouse' is not a file store"):
        Store.of_connection(NotAFileStore(), "x")

