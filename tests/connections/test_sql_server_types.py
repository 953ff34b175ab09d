"""Odibi's ``sql_server`` / ``azure_sql`` connections: what reaches the ODBC driver for every auth mode.

No SQL Server (nor Microsoft's ODBC driver) can run here, so these tests stop where the driver starts:
the URL the Plan keeps, and the ODBC connection string SQLAlchemy's pyodbc dialect builds from it.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.connections import open_connection
from odibi_provider.connections.sql import access_token_struct
from odibi_provider.errors import MissingExtraError, ProjectError
from odibi_provider.manifest.substitution import Environment
from odibi_provider.plan.cache import load_plan

PASSWORD = "p@ss;w}rd=1"


def _plan(make_project: Any, connection: str, *, read_format: str = "sql_server", write_format: str = "azure_sql",
          table: str = "dbo.orders") -> Any:
    project = make_project(f"""
        project: mssql
        connections:
          db:
            {connection.strip()}
          lake: {{type: local, base_path: ./lake}}
        pipelines:
          - pipeline: p
            nodes:
              - name: orders
                read: {{connection: db, format: {read_format}, table: {table}}}
                write: {{connection: lake, format: parquet, path: orders}}
              - name: back
                depends_on: [orders]
                write: {{connection: db, format: {write_format}, table: dbo.orders_copy}}
        """)
    return load_plan(project)


def _odbc(plan: Any, env: dict[str, str] | None = None) -> tuple[Any, str]:
    """The opened connection and the ODBC connection string the pyodbc dialect hands to the driver."""
    from sqlalchemy.engine import make_url

    db = open_connection(plan.connection("db"), Path("."), Environment(process=env or {}))
    url = make_url(db.url())
    args, _ = url.get_dialect()().create_connect_args(url)
    return db, str(args[0])


def _indent(text: str) -> str:
    return "\n".join("            " + line for line in textwrap.dedent(text).strip().splitlines())


SQL_LOGIN = _indent("""
type: sql_server
host: ${env:SQL_SERVER_HOST}
database: production
auth:
  mode: sql_login
  username: ${env:SQL_USER}
  password: ${env:SQL_PASSWORD}
""")


def test_sql_login_keeps_references_in_the_plan_and_reaches_the_driver_quoted(make_project: Any) -> None:
    plan = _plan(make_project, SQL_LOGIN)
    url = plan.connection("db").options["url"]
    assert "${env:SQL_PASSWORD}" in url and plan.connection("db").type == "sql"

    db, odbc = _odbc(plan, {"SQL_SERVER_HOST": "sql.example.net", "SQL_USER": "reader", "SQL_PASSWORD": PASSWORD})

    assert odbc == ("DRIVER={ODBC Driver 18 for SQL Server};Server=sql.example.net,1433;Database=production;"
                    "UID=reader;PWD={p@ss;w}}rd=1};Encrypt=yes;TrustServerCertificate=yes;Connection Timeout=30")
    assert db.dialect == "mssql"
    assert PASSWORD not in repr(db) and PASSWORD not in db.scrub(f"login failed for {PASSWORD}")


def test_odibi_formats_sql_server_and_azure_sql_are_the_sql_format(make_project: Any) -> None:
    plan = _plan(make_project, SQL_LOGIN)
    assert plan.node("p.orders").read.format == "sql" and plan.node("p.orders").read.table == "dbo.orders"
    assert plan.node("p.back").write.format == "sql"


def test_managed_identity_is_odibis_default_and_uses_the_driver_sign_in(make_project: Any) -> None:
    plan = _plan(make_project, _indent("""
        type: azure_sql
        server: myserver.database.windows.net
        database: analytics
        port: 1444
        driver: ODBC Driver 17 for SQL Server
        timeout: 5
        """))
    _, odbc = _odbc(plan)
    assert odbc == ("DRIVER={ODBC Driver 17 for SQL Server};Server=myserver.database.windows.net,1444;"
                    "Database=analytics;Authentication=ActiveDirectoryMsi;Encrypt=yes;TrustServerCertificate=yes;"
                    "Connection Timeout=5")


def test_a_user_assigned_identity_signs_in_with_its_client_id(make_project: Any) -> None:
    plan = _plan(make_project, _indent("""
        type: sql_server
        host: myserver.database.windows.net
        database: dw
        auth: {mode: aad_msi, client_id: 00000000-0000-0000-0000-000000000001}
        """))
    _, odbc = _odbc(plan)
    # ODBC keywords are case-insensitive; SQLAlchemy passes this one on as written
    assert "UID=00000000-0000-0000-0000-000000000001;" in odbc
    assert "authentication=activedirectorymsi" in odbc.lower()
    assert "PWD" not in odbc


def test_odibis_factory_form_auth_mode_sql_with_an_auth_block(make_project: Any) -> None:
    plan = _plan(make_project, _indent("""
        type: azure_sql
        host: myserver.database.windows.net
        database: mydb
        auth_mode: sql
        auth:
          username: ${env:SQL_USERNAME}
          password: ${env:SQL_PASSWORD}
        """))
    _, odbc = _odbc(plan, {"SQL_USERNAME": "app", "SQL_PASSWORD": "pw"})
    assert "UID=app;PWD=pw;" in odbc and "Authentication" not in odbc


def test_a_connection_string_is_handed_over_whole_and_its_password_masked(make_project: Any) -> None:
    plan = _plan(make_project, _indent("""
        type: sql_server
        host: unused.example.net
        database: dw
        auth: {mode: connection_string, connection_string: "${env:SQL_CONN}"}
        """))
    text = f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:h,1433;Database=dw;UID=u;PWD={PASSWORD[:6]};"
    db, odbc = _odbc(plan, {"SQL_CONN": text})
    assert odbc == text
    assert PASSWORD[:6] not in db.scrub(f"driver said: {text}")


def test_a_service_principal_signs_in_with_an_azure_ad_token(make_project: Any) -> None:
    plan = _plan(make_project, _indent("""
        type: sql_server
        host: myserver.database.windows.net
        database: dw
        auth:
          mode: aad_password
          tenant_id: 11111111-1111-1111-1111-111111111111
          client_id: 22222222-2222-2222-2222-222222222222
          client_secret: ${env:SP_SECRET}
        """))
    assert "${env:SP_SECRET}" in str(dict(plan.connection("db").options))
    db, odbc = _odbc(plan, {"SP_SECRET": "sp-Secret-Value-9"})
    assert "UID" not in odbc and "PWD" not in odbc and "Authentication" not in odbc

    from azure.identity import ClientSecretCredential

    assert isinstance(db.azure_credential(), ClientSecretCredential)
    assert "sp-Secret-Value-9" not in db.scrub("AADSTS7000215: invalid secret sp-Secret-Value-9")
    assert access_token_struct("ab") == b"\x04\x00\x00\x00a\x00b\x00"


@pytest.mark.skipif(importlib.util.find_spec("pyodbc") is not None, reason="pyodbc is installed here")
def test_without_pyodbc_the_engine_names_the_extra_to_install(make_project: Any) -> None:
    plan = _plan(make_project, SQL_LOGIN)
    db = open_connection(plan.connection("db"), Path("."), Environment(
        process={"SQL_SERVER_HOST": "h", "SQL_USER": "u", "SQL_PASSWORD": "p"}))
    with pytest.raises(MissingExtraError, match=r"pip install 'odibi-provider\[mssql\]'"):
        db.engine()


@pytest.mark.parametrize(("block", "message", "where"), [
    pytest.param("auth: {mode: key_vault, key_vault: kv, secret: s}", "Key Vault references are not supported",
                 "connections.db.auth", id="key vault (config form)"),
    pytest.param("auth_mode: key_vault\n    auth: {username: a, key_vault_name: kv, secret_name: s}",
                 "Key Vault references are not supported", "connections.db", id="key vault (factory form)"),
    pytest.param("auth: {mode: sql_login, username: a}", "needs 'password'", "connections.db.auth",
                 id="login without password"),
    pytest.param("auth: {mode: aad_password, client_id: c}", "needs 'tenant_id', 'client_secret'",
                 "connections.db", id="service principal incomplete"),
    pytest.param("auth_mode: aad_msi\n    auth: {mode: sql_login, username: a, password: b}", "disagree",
                 "connections.db", id="two modes"),
    pytest.param("auth: {mode: aad_msi, username: a, password: b}", "does not use 'password', 'username'",
                 "connections.db", id="unused login"),
    pytest.param("auth: {mode: windows}", "auth.mode", "connections.db.auth.mode", id="unknown mode"),
])
def test_bad_sql_server_blocks_are_refused_with_their_place(tmp_path: Path, block: str, message: str,
                                                           where: str) -> None:
    from odibi_provider.manifest.loader import load_project

    (tmp_path / "odibi.yaml").write_text(
        f"project: p\nconnections:\n  db:\n    type: sql_server\n    host: h\n    database: d\n    {block}\n")
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path / "odibi.yaml")
    text = str(info.value)
    assert message in text and where in text and "odibi.yaml:" in text


def test_an_airflow_connection_fills_the_login_and_the_service_principal(make_project: Any) -> None:
    """``airflow_conn_id``: an Airflow ``mssql`` Connection's login/password/host fill the references, and a
    service principal's client id/secret come from its login/password (tenant from the extra)."""
    pytest.importorskip("airflow")
    import json

    from airflow.sdk import Connection

    from odibi_provider.airflow.connections import values_from_connection

    conn = Connection(conn_id="erp", conn_type="mssql", host="sql.internal", login="app", password=PASSWORD,
                      extra=json.dumps({"tenant_id": "tenant-9"}))
    login = _plan(make_project, SQL_LOGIN).connection("db")
    assert values_from_connection(login, conn) == {"SQL_SERVER_HOST": ("sql.internal", False),
                                                   "SQL_USER": ("app", False), "SQL_PASSWORD": (PASSWORD, True)}
    principal = _plan(make_project, _indent("""
        type: sql_server
        host: h
        database: dw
        auth: {mode: aad_password, tenant_id: "${env:T}", client_id: "${env:C}", client_secret: "${env:S}"}
        """)).connection("db")
    assert values_from_connection(principal, conn) == {"T": ("tenant-9", False), "C": ("app", False),
                                                       "S": (PASSWORD, True)}
