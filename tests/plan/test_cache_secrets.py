"""The plan cache lets nobody who can read it check a password guess offline: connection secrets stay
references, so neither their values nor any hash of them (nor of ``.env``) is in the cache; values that are
substituted into the Plan itself still invalidate it when they change."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from odibi_provider.plan import cache as plan_cache
from odibi_provider.plan import load_plan

SECRET = "correct-horse-battery"
PROJECT = """
project: p
connections:
  warehouse: {type: sql, url: "postgresql://etl:${env:PG_PASSWORD}@db.internal/dw"}
  raw: {type: local, base_path: data}
pipelines:
  - pipeline: b
    nodes:
      - name: a
        read: {connection: raw, format: csv, path: a.csv}
        transform: {steps: ["SELECT *, '${env:REGION}' AS region FROM df"]}
        write: {connection: warehouse, format: sql, table: a}
"""


@pytest.fixture
def project(make_project, monkeypatch) -> Path:
    monkeypatch.delenv(plan_cache.CACHE_DIR_ENV, raising=False)
    for name in ("PG_PASSWORD", "REGION"):
        monkeypatch.delenv(name, raising=False)
    return make_project(PROJECT, files={".env": f"PG_PASSWORD={SECRET}\nREGION=eu\n"})


def _entry(project: Path) -> tuple[Path, dict]:
    (entry_file,) = (project.parent / ".odibi" / "cache").glob("plan-*.json")
    return entry_file, json.loads(entry_file.read_text())


def _guess_digests(guess: str) -> set[str]:
    """What an attacker with the cache file could compute from a guessed password (and the known rest)."""
    fingerprints = [[[("PG_PASSWORD", guess)], []], [[("PG_PASSWORD", guess), ("REGION", "eu")], []],
                    [[("REGION", "eu"), ("PG_PASSWORD", guess)], []]]
    return {*(hashlib.sha256(json.dumps(f).encode()).hexdigest() for f in fingerprints),
            hashlib.sha256(guess.encode()).hexdigest(),
            hashlib.sha256(f"PG_PASSWORD={guess}\nREGION=eu\n".encode()).hexdigest()}


def _compiles(project: Path) -> bool:
    """Load the plan in a fresh process; True when it had to compile (a cache miss)."""
    code = ("import sys, odibi_provider.plan.cache as c\nreal = c._write_cached\ncalls = []\n"
            "c._write_cached = lambda *a, **k: (calls.append(1), real(*a, **k))[1]\n"
            "c.load_plan(sys.argv[1]); print('compiled' if calls else 'cached')")
    out = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "compiled"


def test_a_password_guess_cannot_be_checked_against_the_cache(project: Path) -> None:
    load_plan(project)
    entry_file, entry = _entry(project)
    text = "".join(p.read_text() for p in entry_file.parent.glob("*"))
    assert SECRET not in text
    assert entry["env_refs"] == ["REGION"]  # the connection secret is a reference, not a plan input
    assert not any(digest in text for digest in _guess_digests(SECRET))


def test_the_cache_still_hits_and_follows_what_the_plan_depends_on(project: Path) -> None:
    load_plan(project)
    assert not _compiles(project), "another process reuses the entry"
    (project.parent / ".env").write_text("PG_PASSWORD=another-password\nREGION=eu\n")
    assert not _compiles(project), "a new password changes no plan: the run opens the connection with it"
    (project.parent / ".env").write_text("PG_PASSWORD=another-password\nREGION=us\n")
    assert _compiles(project), "a value substituted into the SQL changed"
    assert "us" in load_plan(project).node("b.a").steps[0].sql
