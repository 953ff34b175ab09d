"""LocalConnection: paths resolve under base_path and never outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from odibi_provider.connections.base import FileConnection
from odibi_provider.connections.local import LocalConnection
from odibi_provider.errors import ExecutionError


def test_relative_base_path_is_relative_to_the_project(tmp_path: Path) -> None:
    conn = LocalConnection("raw", "data", tmp_path)
    assert conn.resolve("sales.csv") == str(tmp_path / "data" / "sales.csv")
    assert conn.resolve("a/../b/c.parquet") == str(tmp_path / "data" / "b" / "c.parquet")
    assert conn.resolve(".") == str(tmp_path / "data")


def test_absolute_base_path_is_kept(tmp_path: Path) -> None:
    conn = LocalConnection("lake", tmp_path / "lake", "/somewhere/else")
    assert conn.resolve("bronze/orders.parquet") == str(tmp_path / "lake" / "bronze" / "orders.parquet")


def test_globs_are_kept(tmp_path: Path) -> None:
    conn = LocalConnection("raw", "data", tmp_path)
    assert conn.resolve("landing/*.csv") == str(tmp_path / "data" / "landing" / "*.csv")


@pytest.mark.parametrize("path", [
    pytest.param("../secrets.txt", id="parent"),
    pytest.param("a/../../outside", id="nested-parent"),
    pytest.param("/etc/passwd", id="absolute"),
    pytest.param("../data-other/x.csv", id="sibling-with-shared-prefix"),
])
def test_a_path_outside_base_path_is_refused(tmp_path: Path, path: str) -> None:
    conn = LocalConnection("raw", "data", tmp_path)
    with pytest.raises(ExecutionError, match=r"connection 'raw': path .* outside the connection's base_path") as err:
        conn.resolve(path)
    assert path in str(err.value)
    assert "without '..'" in str(err.value)


def test_it_is_a_file_connection_with_a_local_filesystem(tmp_path: Path) -> None:
    conn = LocalConnection("raw", ".", tmp_path)
    assert isinstance(conn, FileConnection)
    assert conn.is_local
    assert conn.storage_options() == {}
    fs = conn.filesystem()
    (tmp_path / "x.txt").write_text("hi")
    assert fs.cat_file(conn.resolve("x.txt")) == b"hi"
    assert type(fs).__name__ == "LocalFileSystem"
    assert "raw" in repr(conn)
