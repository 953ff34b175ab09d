"""Fixtures for the embedded engine's readers and writers: a DuckDB cursor, connections, PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.postgres import PostgresServer, PostgresUnavailable, SharedServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for the session (initdb in a temp folder, free loopback port)."""
    try:
        server = SharedServer.acquire()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL cannot start on this machine: {exc}")
    yield server
    SharedServer.release()


@pytest.fixture
def pg_schema(postgres: PostgresServer) -> Iterator[str]:
    """A fresh schema in the session's PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def duck() -> Iterator[Any]:
    """A DuckDB cursor like the one the engine hands to readers and writers."""
    import duckdb

    database = duckdb.connect(":memory:")
    cursor = database.cursor()
    yield cursor
    cursor.close()
    database.close()


@pytest.fixture
def lake(tmp_path: Path) -> Any:
    """A local connection rooted at ``tmp_path/lake``."""
    from odibi_provider.connections.local import LocalConnection

    return LocalConnection("lake", "lake", tmp_path)
