"""Connections contain what a run can reach: no symlink leads out of a base_path, and the embedded
engine's SQL reaches only the project's own locations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines.embedded import EmbeddedEngine
from odibi_provider.errors import ExecutionError, ProjectError
from odibi_provider.plan import compile_project
from odibi_provider.runner import run_project

OWN = """
project: contained
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {connection: out, path: stories}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: own
        read: {connection: raw, format: csv, path: orders.csv}
        transform: {steps: ["SELECT id, amount * 2 AS amount FROM df"]}
        write: {connection: out, format: parquet, path: orders.parquet}
      - name: reader
        depends_on: [own]
        transform: {steps: ["SELECT * FROM df"]}
        write: {connection: out, format: csv, path: copy.csv}
"""
ORDERS = "id,amount\n1,10\n2,-5\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside every project, holding a file nobody should read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.csv").write_text("id,amount\n99,1000000\n")
    return folder


def _node(yaml: str, node: str) -> str:
    """``OWN`` with one more node in pipeline ``p``."""
    return yaml + "\n".join("      " + line for line in node.strip().splitlines()) + "\n"


def _error(run, node: str) -> str:
    result = run[f"p.{node}"]
    assert result.status == "failed", f"{node} was not refused: {result}"
    return str(result.error)


LEAKS = """
- name: leak_read
  read: {connection: raw, format: csv, path: link/secret.csv}
  write: {connection: out, format: csv, path: leak.csv}
- name: leak_glob
  read: {connection: raw, format: csv, path: "landing/*.csv"}
  write: {connection: out, format: csv, path: leak_glob.csv}
- name: escape_write
  read: {connection: raw, format: csv, path: orders.csv}
  write: {connection: out, format: csv, path: link/escaped.csv}
- name: escape_quarantine
  read: {connection: raw, format: csv, path: orders.csv}
  validation:
    tests:
      - {type: range, column: amount, min: 0, on_fail: quarantine}
    quarantine: {connection: out, format: csv, path: link/bad_rows.csv}
  write: {connection: out, format: csv, path: good.csv}
"""


def _leaky_project(make_project, outside: Path) -> Path:
    project = make_project(_node(OWN, LEAKS), files={"data/orders.csv": ORDERS, "data/landing/a.csv": ORDERS})
    (project.parent / "out").mkdir()
    return project


def _link(project: Path, outside: Path) -> None:
    os.symlink(outside, project.parent / "data" / "link")
    os.symlink(outside / "secret.csv", project.parent / "data" / "landing" / "b.csv")
    os.symlink(outside, project.parent / "out" / "link")


def test_validate_refuses_symlinks_leading_out_of_a_connection(make_project, outside: Path) -> None:
    project = _leaky_project(make_project, outside)
    _link(project, outside)
    with pytest.raises(ProjectError) as err:
        compile_project(project)
    text = str(err.value)
    for where in ("nodes[2].read.path", "nodes[3].read.path", "nodes[4].write.path",
                  "nodes[5].validation.quarantine.path"):
        assert where in text
    assert "leads through a symlink to" in text and str(outside) in text


def test_reads_writes_and_quarantine_through_a_symlink_are_refused_at_run_time(make_project,
                                                                               outside: Path) -> None:
    project = _leaky_project(make_project, outside)
    plan = compile_project(project)
    _link(project, outside)  # the symlinks appear after the plan was compiled (a cached plan)
    run = run_project(plan, workers=4)  # all four leaks run at once (a fail_fast failure stops nothing already started)
    for node in ("leak_read", "leak_glob", "escape_write", "escape_quarantine"):
        error = _error(run, node)
        assert "leads through a symlink" in error and "outside the connection's base_path" in error
    assert sorted(p.name for p in outside.iterdir()) == ["secret.csv"]
    assert not (project.parent / "out" / "leak.csv").exists()


@pytest.mark.parametrize("step", [
    pytest.param("SELECT * FROM read_csv('{secret}')", id="read-outside"),
    pytest.param("SELECT * FROM read_csv('/etc/passwd', header=false, columns={{'line': 'VARCHAR'}})",
                 id="read-system-file"),
    pytest.param("SELECT * FROM read_csv('{data}/../../outside/secret.csv')", id="dot-dot-from-a-connection"),
])
def test_a_sql_step_cannot_read_outside_the_projects_locations(make_project, outside: Path, step: str) -> None:
    project = make_project(OWN, files={"data/orders.csv": ORDERS})
    sql = step.format(secret=outside / "secret.csv", data=project.parent / "data")
    project.write_text(_node(OWN, f"""
- name: leak
  depends_on: [own]
  transform: {{steps: ["{sql}"]}}
  write: {{connection: out, format: csv, path: leak.csv}}
"""))
    run = run_project(project)
    error = _error(run, "leak")
    assert "outside the project's locations" in error and "connection" in error
    assert run["p.leak"].retryable is False
    assert not (project.parent / "out" / "leak.csv").exists()
    assert set(run.completed) == {"p.own", "p.reader"}


def test_the_engine_cannot_write_outside_the_projects_locations(tmp_path: Path, outside: Path) -> None:
    """Whatever reaches the confined engine's SQL (a statement the compiler would refuse included)."""
    (tmp_path / "data").mkdir()
    data = LocalConnection("raw", tmp_path / "data", tmp_path)
    engine = EmbeddedEngine().confined([data])
    target = outside / "dump.csv"
    with pytest.raises(ExecutionError, match="outside the project's locations"):
        engine.sql(f"COPY (SELECT 1 AS x) TO '{target}'", {})
    with pytest.raises(ExecutionError, match="locked"):
        engine.sql("SET enable_external_access = true", {})
    assert not target.exists()
    engine.sql(f"COPY (SELECT 1 AS x) TO '{tmp_path / 'data' / 'inside.csv'}'", {})
    assert (tmp_path / "data" / "inside.csv").read_text().splitlines() == ["x", "1"]


def test_a_sql_step_still_reads_files_of_its_own_connections(make_project) -> None:
    """Reading a file of the project's own connection by path stays allowed (and a sibling folder whose
    name only starts with the connection's folder is not part of it)."""
    project = make_project(OWN, files={"data/orders.csv": ORDERS, "data2/other.csv": ORDERS})
    data = project.parent / "data"
    project.write_text(_node(OWN, f"""
- name: direct
  depends_on: [own]
  transform: {{steps: ["SELECT count(*) AS n FROM read_csv('{data / 'orders.csv'}')"]}}
  write: {{connection: out, format: csv, path: direct.csv}}
- name: sibling
  depends_on: [own]
  transform: {{steps: ["SELECT count(*) AS n FROM read_csv('{data}2/other.csv')"]}}
"""))
    run = run_project(project)
    assert run["p.direct"].status == "success"
    assert (project.parent / "out" / "direct.csv").read_text().splitlines() == ["n", "2"]
    assert "outside the project's locations" in _error(run, "sibling")
