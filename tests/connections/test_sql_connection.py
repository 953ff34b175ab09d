"""SqlDatabase: secrets resolved at open time, drivers chosen, and never shown."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from odibi_provider.connections.base import SqlConnection
from odibi_provider.connections.sql import SqlDatabase, redact_url
from odibi_provider.errors import ExecutionError
from odibi_provider.manifest.substitution import Environment

SECRET = "Very$ecretPw42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg(env: dict[str, str], template: str = "postgresql://app:${env:PG_PASSWORD}@127.0.0.1:{port}/db") -> SqlDatabase:
    return SqlDatabase("warehouse", template.replace("{port}", str(_free_port())), "public",
                       Environment(process=env))


def test_env_reference_is_resolved_when_the_url_is_asked_for() -> None:
    db = _pg({"PG_PASSWORD": SECRET})
    assert isinstance(db, SqlConnection)
    assert f"app:{SECRET}@" in db.url()
    assert db.url().startswith("postgresql+psycopg://")
    assert db.dialect == "postgresql"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgres_urls_use_psycopg3(scheme: str) -> None:
    db = SqlDatabase("w", f"{scheme}://u:p@h/db", None, Environment(process={}))
    assert db.url() == "postgresql+psycopg://u:p@h/db"


def test_an_explicit_driver_is_kept() -> None:
    db = SqlDatabase("w", "postgresql+psycopg2://u@h/db", None, Environment(process={}))
    assert db.url() == "postgresql+psycopg2://u@h/db"


def test_a_missing_variable_names_it_and_the_connection() -> None:
    db = _pg({})
    with pytest.raises(ExecutionError, match=r"connection 'warehouse': environment variable 'PG_PASSWORD' is not set"):
        db.url()


def test_dotenv_values_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PG_PASSWORD", raising=False)
    (tmp_path / ".env").write_text(f"PG_PASSWORD={SECRET}\n")
    db = SqlDatabase("w", "postgresql://u:${env:PG_PASSWORD}@h/db", None, Environment.for_project(tmp_path))
    assert SECRET in db.url()


def test_relative_sqlite_paths_are_relative_to_the_project(tmp_path: Path) -> None:
    db = SqlDatabase("local", "sqlite:///data/warehouse.db", None, Environment(process={}), project_dir=tmp_path)
    assert db.url() == f"sqlite:///{tmp_path / 'data' / 'warehouse.db'}"
    assert SqlDatabase("m", "sqlite:///:memory:", None, Environment(process={})).url() == "sqlite:///:memory:"
    assert SqlDatabase("a", "sqlite:////abs/x.db", None, Environment(process={})).url() == "sqlite:////abs/x.db"
    assert str(tmp_path) in db.location("sales")


@pytest.mark.parametrize("template", [
    pytest.param("postgresql://app:${env:PG_PASSWORD}@127.0.0.1:{port}/db", id="env-reference"),
    pytest.param(f"postgresql://app:{SECRET}@127.0.0.1:{{port}}/db", id="literal-password"),
])
def test_the_password_is_never_in_repr_str_or_errors(template: str) -> None:
    db = _pg({"PG_PASSWORD": SECRET}, template)
    db.url()
    assert SECRET not in repr(db)
    assert SECRET not in str(db)
    assert SECRET not in db.location("public.sales")
    for attempt in (_read_from, _write_to):
        with pytest.raises(ExecutionError, match="connection 'warehouse'") as err:
            attempt(db)
        assert SECRET not in str(err.value)
        assert SECRET not in repr(err.value)
    with pytest.raises(ExecutionError) as err2:
        raise db.error("cannot connect", RuntimeError(f"failed for postgresql://app:{SECRET}@host/db ({SECRET})"))
    assert SECRET not in str(err2.value)
    assert "connection 'warehouse'" in str(err2.value)


def _read_from(db: SqlDatabase) -> None:
    from odibi_provider.engines.embedded.readers import read_table
    from odibi_provider.plan.model import ReadSpec

    read_table(ReadSpec("warehouse", "sql", table="sales"), db, None)


def _write_to(db: SqlDatabase) -> None:
    import pyarrow as pa

    from odibi_provider.engines.embedded.writers import write_table
    from odibi_provider.plan.model import WriteSpec

    write_table(pa.table({"x": [1]}), WriteSpec("warehouse", "sql", table="sales"), db, write_id="w", con=None)


def test_redact_url() -> None:
    assert redact_url("postgresql+psycopg://u:pw@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"
    assert redact_url("sqlite:///x.db") == "sqlite:///x.db"
    assert redact_url("see postgresql://u:pw@h/db here") == "see postgresql://u:***@h/db here"


def test_engine_is_cached_and_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    import sqlalchemy as sa

    db = SqlDatabase("local", "sqlite:///w.db", None, Environment(process={}), project_dir=tmp_path)
    assert db.engine() is db.engine()
    with pytest.raises(RuntimeError), db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        raise RuntimeError("boom")
    assert not sa.inspect(db.engine()).has_table("t")
    db.dispose()


def test_a_password_in_the_query_string_is_hidden_too() -> None:
    env = Environment(process={"DB_SECRET": SECRET})
    db = SqlDatabase("w", "postgresql://h/db?user=app&password=${env:DB_SECRET}", None, env)
    assert db.url().endswith(f"password={SECRET}")
    assert SECRET not in repr(db)
    error = db.error("cannot connect", RuntimeError(f"bad option password={SECRET} for {SECRET}"))
    assert SECRET not in str(error)
