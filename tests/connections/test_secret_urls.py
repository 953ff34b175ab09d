"""A password holding URL-special characters reaches PostgreSQL whole and is never shown, whole or cut."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from odibi_provider.hooks import HookManager
from odibi_provider.runner import run_project
from tests.fixtures.postgres import PostgresServer

PASSWORD = "Zq8x@Wm3k#Rt7v/Lp2n:Hd5s%41Yc6"
PIECES = [p for p in re.split(r"[@#/:%]", PASSWORD) if len(p) >= 4] + ["Hd5sAYc6", "41Yc6"]
PROJECT = """
project: special
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
  wh: {type: sql, url: "postgresql://ROLE:${env:SPECIAL_PG_PASSWORD}@HOST:PORT/DB", schema: ROLE}
story: {connection: out, path: stories}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: load
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: wh, format: sql, table: orders}
      - name: back
        depends_on: [load]
        read: {connection: wh, format: sql, table: orders}
        write: {connection: out, format: csv, path: orders.csv}
      - name: echo
        depends_on: [load]
        on_error: ignore
        transform: {steps: [{function: echo_host}]}
"""
ECHO = """
import os
from urllib.parse import urlsplit
from odibi_provider import transform


@transform
def echo_host(df, context=None):
    # what a driver says about a URL it cut: the text after '@' taken for the host name
    url = "postgresql://u:" + os.environ["SPECIAL_PG_PASSWORD"] + "@h/db"
    raise RuntimeError(f"could not translate host name {urlsplit(url).hostname!r} (url {url})")
"""


@pytest.fixture
def special_role(postgres: PostgresServer) -> Iterator[str]:
    """A login role (and its schema) whose password holds ``@ # / : %``."""
    import psycopg
    from psycopg import sql

    role = f"special_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(PASSWORD)))
        conn.execute(sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(sql.Identifier(postgres.dbname),
                                                                     sql.Identifier(role)))
        conn.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(sql.Identifier(role), sql.Identifier(role)))
    yield role
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def project(make_project, postgres: PostgresServer, special_role: str) -> Path:
    text = (PROJECT.replace("ROLE", special_role).replace("HOST", postgres.host)
            .replace("PORT", str(postgres.port)).replace("DB", postgres.dbname))
    return make_project(text, files={"data/orders.csv": "id,amount\n1,10\n2,20\n", "transforms.py": ECHO})


def _leaks(text: str) -> list[str]:
    """Every piece of the password in ``text``, in any letter case."""
    return [piece for piece in [PASSWORD, *PIECES] if piece.lower() in text.lower()]


def _story_text(project: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in (project.parent / "out" / "stories").rglob("*")
                   if p.is_file())


def test_the_cli_runs_with_the_password_and_shows_no_piece_of_it(project: Path) -> None:
    env = {**os.environ, "SPECIAL_PG_PASSWORD": PASSWORD, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "odibi_provider", "run", str(project)], capture_output=True,
                          text=True, env=env, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert (project.parent / "out" / "orders.csv").read_text().splitlines() == ["id,amount", "1,10", "2,20"]
    assert "could not translate host name" in output  # the failing node is reported ...
    assert _leaks(output) == []  # ... without any piece of the password
    assert _leaks(_story_text(project)) == []


def test_events_logs_and_results_carry_no_piece_of_the_password(project: Path, monkeypatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SPECIAL_PG_PASSWORD", PASSWORD)
    hooks = HookManager()
    events: list[str] = []

    @hooks.on(["node_complete", "node_error", "node_skipped", "pipeline_complete", "pipeline_error"])
    def record(event) -> None:
        events.append(json.dumps(event.to_dict(), default=str))

    with caplog.at_level(logging.INFO):
        run = run_project(project, hooks=hooks)
    assert run["p.load"].status == "success" and run["p.back"].status == "success"
    echo = run["p.echo"]
    assert echo.status == "failed" and "***" in (echo.error or "")
    shown = [echo.error or "", echo.traceback or "", *events, caplog.text,
             json.dumps(echo.metadata(), default=str), _story_text(project)]
    assert [piece for text in shown for piece in _leaks(text)] == []
