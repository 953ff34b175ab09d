"""Shared fixtures: temporary projects written from YAML text, and one PostgreSQL server per session."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.postgres import PostgresServer, PostgresUnavailable, SharedServer

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

ProjectFactory = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write ``odibi.yaml`` (dedented) and any extra files into a fresh folder; return the project file."""
    counter = iter(range(1_000_000))

    def make(yaml_text: str, files: dict[str, str] | None = None) -> Path:
        root = tmp_path / f"project{next(counter)}"
        root.mkdir()
        (root / "odibi.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
        for name, text in (files or {}).items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        return root / "odibi.yaml"

    return make


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for the session (initdb in a temp folder, free loopback port)."""
    try:
        server = SharedServer.acquire()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL cannot start on this machine: {exc}")
    yield server
    SharedServer.release()
