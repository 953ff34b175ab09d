"""The on-disk Plan cache: hits skip validation, and any change to what the Plan came from misses."""

from __future__ import annotations

import pytest

from odibi_provider.manifest import loader
from odibi_provider.plan import cache as plan_cache
from odibi_provider.plan import load_plan

PROJECT = """
project: p
connections: {raw: {type: local, base_path: "${env:CACHE_TEST_DIR}"}}
pipelines:
  - pipeline: b
    nodes:
      - {name: a, read: {connection: raw, format: csv, path: "a_${date:+0d}.csv"}}
      - name: c
        depends_on: [a]
        transform: {steps: [{function: f}]}
"""
CODE = "from odibi_provider import transform\n@transform\ndef f(df):\n    return df\n"


@pytest.fixture
def counted_loads(monkeypatch):
    calls = []
    real = loader.load_project

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_project", counting)
    monkeypatch.setenv(plan_cache.CACHE_DIR_ENV, "")
    monkeypatch.delenv(plan_cache.CACHE_DIR_ENV)
    return calls


def test_second_load_comes_from_the_cache(make_project, counted_loads, monkeypatch):
    monkeypatch.setenv("CACHE_TEST_DIR", "/data")
    project = make_project(PROJECT, files={"transforms.py": CODE})
    first = load_plan(project)
    second = load_plan(project)
    assert first == second and len(counted_loads) == 1
    assert list((project.parent / ".odibi" / "cache").glob("plan-*.json"))


@pytest.mark.parametrize("change", ["yaml", "transforms", "env_name"])
def test_changes_invalidate_the_cache(make_project, counted_loads, monkeypatch, change):
    monkeypatch.setenv("CACHE_TEST_DIR", "/data")
    text = PROJECT + "environments: {dev: {owner: me}}\n"
    project = make_project(text, files={"transforms.py": CODE})
    load_plan(project, env="dev" if change == "env_name" else None)
    if change == "yaml":
        project.write_text(text.replace("name: c", "name: d"))
    elif change == "transforms":
        (project.parent / "transforms.py").write_text(CODE.replace("return df", "return df.copy()"))
    elif change == "env_value":
        monkeypatch.setenv("CACHE_TEST_DIR", "/other")
    elif change == "dotenv":
        (project.parent / ".env").write_text("UNRELATED=1\n")
    load_plan(project)
    assert len(counted_loads) == 2


@pytest.mark.parametrize("change", ["env_value", "dotenv"])
def test_values_the_plan_keeps_as_references_do_not_invalidate_it(make_project, counted_loads, monkeypatch, change):
    """A connection's ``${env:...}`` (a secret, a base path) stays a reference in the Plan: changing its value,
    or an unrelated ``.env`` line, changes no plan, so the cache holds (and never fingerprints secrets)."""
    monkeypatch.setenv("CACHE_TEST_DIR", "/data")
    project = make_project(PROJECT, files={"transforms.py": CODE})
    load_plan(project)
    if change == "env_value":
        monkeypatch.setenv("CACHE_TEST_DIR", "/other")
    else:
        (project.parent / ".env").write_text("UNRELATED=1\n")
    plan = load_plan(project)
    assert len(counted_loads) == 1
    assert plan.connection("raw").options["base_path"] == "${env:CACHE_TEST_DIR}"


def test_cache_can_be_disabled_and_relocated(make_project, counted_loads, monkeypatch, tmp_path):
    monkeypatch.setenv("CACHE_TEST_DIR", "/data")
    monkeypatch.setenv(plan_cache.CACHE_DIR_ENV, str(tmp_path / "elsewhere"))
    project = make_project(PROJECT, files={"transforms.py": CODE})
    load_plan(project, use_cache=False)
    load_plan(project)
    load_plan(project)
    assert len(counted_loads) == 2
    assert list((tmp_path / "elsewhere").glob("plan-*.json"))


def test_corrupt_cache_entry_is_rebuilt(make_project, counted_loads, monkeypatch):
    monkeypatch.setenv("CACHE_TEST_DIR", "/data")
    project = make_project(PROJECT, files={"transforms.py": CODE})
    load_plan(project)
    for entry in (project.parent / ".odibi" / "cache").glob("plan-*.json"):
        entry.write_text("{not json")
    assert load_plan(project).project == "p"
    assert len(counted_loads) == 2
