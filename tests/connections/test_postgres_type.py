"""Odibi's ``type: postgres`` connection (host, port, database, ``auth:`` login, sslmode) runs for real."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.manifest.loader import load_project
from odibi_provider.plan.cache import load_plan
from odibi_provider.runner import run_project
from tests.fixtures.postgres import PostgresServer


@pytest.fixture
def pg_schema(postgres: PostgresServer) -> Iterator[str]:
    """A fresh schema holding ``orders`` (3 rows), dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
        conn.execute(f'CREATE TABLE "{name}".orders (id int, amount numeric(10,2), region text)')
        conn.execute(f"INSERT INTO \"{name}\".orders VALUES (1, 10.50, 'eu'), (2, 20.00, 'us'), (3, 5.25, 'eu')")
    yield name
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _project(make_project: Any, server: PostgresServer, schema: str, auth: str) -> Any:
    return make_project(f"""
        project: pg_orders
        connections:
          warehouse:
            type: postgres
            host: {server.host}
            port: {server.port}
            database: {server.dbname}
            sslmode: disable
{auth}
          lake:
            type: local
            base_path: ./lake
        pipelines:
          - pipeline: sync
            nodes:
              - name: eu_orders
                read:
                  connection: warehouse
                  format: sql
                  query: SELECT id, amount FROM {schema}.orders WHERE region = 'eu' ORDER BY id
                write: {{connection: lake, format: parquet, path: eu_orders}}
              - name: back
                depends_on: [eu_orders]
                write: {{connection: warehouse, format: sql, table: {schema}.eu_copy}}
              - name: again
                read: {{connection: warehouse, format: sql, table: {schema}.eu_copy}}
                write: {{connection: lake, format: parquet, path: again}}
        """)


AUTH_BLOCK = """            auth:
              username: ${env:PG_USERNAME}
              password: ${env:PG_PASSWORD}"""


def test_a_postgres_project_reads_writes_and_reads_back(make_project: Any, postgres: PostgresServer,
                                                        pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    monkeypatch.setenv("PG_USERNAME", postgres.user)
    monkeypatch.setenv("PG_PASSWORD", postgres.password)
    project = _project(make_project, postgres, pg_schema, AUTH_BLOCK)

    result = run_project(project, workers=1)

    assert result.ok, [(r.node_id, r.error) for r in result.results if r.error]
    with psycopg.connect(postgres.url) as conn:
        rows = conn.execute(f'SELECT id, amount FROM "{pg_schema}".eu_copy ORDER BY id').fetchall()
    assert [(r[0], float(r[1])) for r in rows] == [(1, 10.5), (3, 5.25)]
    assert {r.node_id: r.rows_out for r in result.results}["sync.again"] == 2
    plan = load_plan(project)
    assert ("sync.back", "sync.again", "dataset") in {(e.upstream, e.downstream, e.kind) for e in plan.edges}


def test_the_password_stays_a_reference_and_never_shows(make_project: Any, postgres: PostgresServer,
                                                        pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_USERNAME", postgres.user)
    monkeypatch.setenv("PG_PASSWORD", postgres.password)
    project = make_project(f"""
        project: pg_bad
        connections:
          warehouse:
            type: postgres
            host: {postgres.host}
            port: {postgres.port}
            database: {postgres.dbname}
{AUTH_BLOCK}
          lake: {{type: local, base_path: ./lake}}
        pipelines:
          - pipeline: p
            nodes:
              - name: missing
                read: {{connection: warehouse, format: sql, table: {pg_schema}.no_such_table}}
                write: {{connection: lake, format: parquet, path: x}}
        """)
    plan = load_plan(project)
    options = dict(plan.connection("warehouse").options)
    assert "${env:PG_PASSWORD}" in options["url"] and postgres.password not in json.dumps(options)

    result = run_project(project, workers=1)

    failed = result.results[0]
    assert not result.ok and failed.error and "no_such_table" in failed.error
    assert postgres.password not in failed.error


def test_inline_login_and_wrong_password_name_the_connection(make_project: Any, postgres: PostgresServer,
                                                             pg_schema: str) -> None:
    """Odibi's inline ``username``/``password`` (development form): a wrong password fails, masked."""
    wrong = "Wr0ng-" + uuid.uuid4().hex[:8]
    project = _project(make_project, postgres, pg_schema,
                       f"            username: {postgres.user}\n            password: {wrong}")
    result = run_project(project, workers=1)
    failed = next(r for r in result.results if r.node_id == "sync.eu_orders")
    assert failed.error and "warehouse" in failed.error and wrong not in failed.error


@pytest.mark.parametrize(("block", "message"), [
    pytest.param("type: postgres\n    database: db", "give the database host as 'host'", id="no host"),
    pytest.param("type: postgres\n    host: h\n    server: h\n    database: db", "exactly one", id="host and server"),
    pytest.param("type: postgres\n    host: h\n    database: db\n    sslmode: sometimes", "sslmode",
                 id="bad sslmode"),
    pytest.param("type: postgres\n    host: h\n    database: db\n    username: a\n    auth: {username: b}",
                 "either in the 'auth' block or beside it", id="login twice"),
    pytest.param("type: postgres\n    host: h\n    database: db\n    auth: {user: a}", "auth.user", id="unknown key"),
])
def test_bad_postgres_blocks_are_located(tmp_path: Any, block: str, message: str) -> None:
    (tmp_path / "odibi.yaml").write_text(f"project: p\nconnections:\n  pg:\n    {block}\n")
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path / "odibi.yaml")
    text = str(info.value)
    assert message in text and "connections.pg" in text and "odibi.yaml:" in text
