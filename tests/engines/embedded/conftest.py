"""Fixtures for the embedded engine's readers and writers: a DuckDB cursor, connections, PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.postgres import PostgresServer


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


@pytest.fixture(params=["sqlite", "postgres"])
def sql_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An open sql connection: a SQLite file in ``tmp_path``, or a fresh schema in the session's PostgreSQL."""
    from odibi_provider.connections.sql import SqlDatabase
    from odibi_provider.manifest.substitution import Environment

    if request.param == "sqlite":
        db = SqlDatabase("warehouse", "sqlite:///warehouse.db", None, Environment(process={}), project_dir=tmp_path)
    else:
        server = request.getfixturevalue("postgres")
        schema = request.getfixturevalue("pg_schema")
        env = Environment(process={"PG_PASSWORD": server.password})
        url = f"postgresql://{server.user}:${{env:PG_PASSWORD}}@{server.host}:{server.port}/{server.dbname}"
        db = SqlDatabase("warehouse", url, schema, env)
    yield db
    db.dispose()
