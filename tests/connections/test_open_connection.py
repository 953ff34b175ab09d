"""open_connection: the factory from ConnectionSpec to an open connection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from odibi_provider.connections import open_connection
from odibi_provider.connections.local import LocalConnection
from odibi_provider.connections.sql import SqlDatabase
from odibi_provider.errors import ExecutionError
from odibi_provider.manifest.substitution import Environment
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ConnectionSpec

REPO = Path(__file__).resolve().parents[2]


def _spec(kind: str, **options: object) -> ConnectionSpec:
    return ConnectionSpec(name="c", type=kind, options=FrozenMap(options))


def test_local(tmp_path: Path) -> None:
    conn = open_connection(_spec("local", base_path="data"), tmp_path, Environment(process={}))
    assert isinstance(conn, LocalConnection)
    assert conn.resolve("x.csv") == str(tmp_path / "data" / "x.csv")


def test_local_base_path_may_reference_the_environment(tmp_path: Path) -> None:
    env = Environment(process={"DATA_ROOT": str(tmp_path / "root")})
    conn = open_connection(_spec("local", base_path="${env:DATA_ROOT}/lake"), tmp_path, env)
    assert conn.resolve("a") == str(tmp_path / "root" / "lake" / "a")
    with pytest.raises(ExecutionError, match="'DATA_ROOT' used by 'base_path' is not set"):
        open_connection(_spec("local", base_path="${env:DATA_ROOT}"), tmp_path, Environment(process={}))


def test_sql(tmp_path: Path) -> None:
    conn = open_connection(_spec("sql", url="sqlite:///w.db", schema="main"), tmp_path, Environment(process={}))
    assert isinstance(conn, SqlDatabase)
    assert conn.schema == "main"
    assert conn.url() == f"sqlite:///{tmp_path / 'w.db'}"


def test_sql_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(ExecutionError, match="needs 'url'"):
        open_connection(_spec("sql"), tmp_path, Environment(process={}))


@pytest.mark.parametrize(("kind", "options", "url"), [
    pytest.param("s3", {"bucket": "b"}, "s3://b/x", id="s3"),
    pytest.param("azure_blob", {"account_name": "a", "container": "c"}, "abfs://c/x", id="azure_blob"),
    pytest.param("azure_adls", {"account_name": "a", "container": "c"}, "abfs://c/x", id="azure_adls"),
    pytest.param("gcs", {"bucket": "b"}, "gs://b/x", id="gcs"),
])
def test_cloud_types_open_as_file_connections(tmp_path: Path, kind: str, options: dict[str, str],
                                              url: str) -> None:
    conn = open_connection(_spec(kind, **options), tmp_path, Environment(process={}))
    assert conn.is_local is False
    assert conn.resolve("x") == url


def test_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(ExecutionError, match="unknown connection type 'ftp'; supported: azure_adls, azure_blob, "
                                             "delta, gcs, http, local, s3, sql"):
        open_connection(_spec("ftp"), tmp_path, Environment(process={}))


def test_importing_connections_is_light() -> None:
    heavy = ["sqlalchemy", "duckdb", "pyarrow", "pandas", "fsspec", "deltalake", "psycopg", "s3fs", "adlfs",
             "azure", "botocore"]
    probe = ("import sys, json, odibi_provider.connections, odibi_provider.connections.local, "
             "odibi_provider.connections.sql, odibi_provider.connections.cloud, odibi_provider.connections.azure"
             f"\nprint(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
