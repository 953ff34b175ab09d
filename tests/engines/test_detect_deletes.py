"""Odibi's ``detect_deletes``: a node writing a Delta target twice, the second source missing a key, on the
embedded engine and on Spark (Sail); the threshold, the first run, and params errors at validate. Also
Odibi's ``cross_check`` over a node's inputs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.engines import get_engine
from odibi_provider.errors import ProjectError
from odibi_provider.plan.cache import compile_project
from odibi_provider.plan.model import ReadSpec
from odibi_provider.runner import run_project
from tests.engines.scd2_project import local

HEADER = """\
project: NAME
engine: pandas
connections:
  bronze: {type: local, base_path: bronze}
  silver: {type: local, base_path: silver}
  state: {type: local, base_path: state}
system: {connection: state, path: _system}
story: {connection: state, path: stories}
pipelines:
"""
PROJECT = HEADER.replace("NAME", "deletes") + """\
  - pipeline: silver
    nodes:
      - name: customers
        read: {connection: bronze, format: csv, path: customers.csv}
        transformer: detect_deletes
        params:
PARAMS
        write: {connection: silver, format: delta, path: customers, mode: overwrite}
"""
FIRST = "customer_id,name\n1,Ann\n2,Bob\n3,Cy\n4,Di\n"
SECOND = "customer_id,name\n1,Ann\n2,Bob\n4,Di\n"  # Cy (3) was deleted at the source


def _project(tmp_path: Path, params: str) -> Path:
    (tmp_path / "bronze").mkdir(exist_ok=True)
    (tmp_path / "bronze" / "customers.csv").write_text(FIRST)
    text = PROJECT.replace("PARAMS", "\n".join(f"          {line}" for line in params.strip().splitlines()))
    (tmp_path / "odibi.yaml").write_text(text)
    return tmp_path / "odibi.yaml"


def _engine(request: pytest.FixtureRequest, which: str) -> None:
    if which == "spark":
        pytest.importorskip("pyspark")
        from tests.engines.conftest import spark_engine

        spark_engine(request.getfixturevalue("sail_session"))


def _run(project: Path, which: str) -> Any:
    return run_project(project, workers=1, engine="spark" if which == "spark" else None)


def _ok(project: Path, which: str) -> None:
    result = _run(project, which)
    assert result.ok, [(r.node_id, r.error) for r in result.results if r.error]


def _target(tmp_path: Path) -> list[dict[str, Any]]:
    engine = get_engine("pandas")
    rows = engine.to_arrow(engine.read(ReadSpec("silver", "delta", path="customers"), local(tmp_path))).to_pylist()
    return sorted(rows, key=lambda r: r["customer_id"])


ENGINES = [pytest.param("embedded", id="embedded"), pytest.param("spark", id="spark")]


@pytest.mark.parametrize("which", ENGINES)
def test_soft_delete_keeps_the_missing_key_flagged(request: pytest.FixtureRequest, tmp_path: Path,
                                                   which: str) -> None:
    _engine(request, which)
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]")
    _ok(project, which)  # first run: nothing to compare, every row flagged false
    assert [(r["customer_id"], r["_is_deleted"]) for r in _target(tmp_path)] == [
        (1, False), (2, False), (3, False), (4, False)]

    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    _ok(project, which)
    assert [(r["customer_id"], r["name"], r["_is_deleted"]) for r in _target(tmp_path)] == [
        (1, "Ann", False), (2, "Bob", False), (3, "Cy", True), (4, "Di", False)]

    _ok(project, which)  # the same source again: Cy stays flagged, once
    assert [(r["customer_id"], r["_is_deleted"]) for r in _target(tmp_path)] == [
        (1, False), (2, False), (3, True), (4, False)]


@pytest.mark.parametrize("which", ENGINES)
def test_hard_delete_removes_the_missing_key(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    _engine(request, which)
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]\nsoft_delete_col: null")
    _ok(project, which)
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    _ok(project, which)
    rows = _target(tmp_path)
    assert [r["customer_id"] for r in rows] == [1, 2, 4]
    assert "_is_deleted" not in rows[0]


@pytest.mark.parametrize("which", ENGINES)
def test_threshold_exceeded_fails_the_node(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    _engine(request, which)
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]\nmax_delete_percent: 10\n"
                                 "on_threshold_breach: error")
    _ok(project, which)
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    result = _run(project, which)
    assert not result.ok
    error = str(next(r.error for r in result.results if r.error))
    assert "detect_deletes: 33.3% of rows flagged for deletion exceeds threshold of 10" in error
    assert [r["customer_id"] for r in _target(tmp_path)] == [1, 2, 3, 4]  # the target is untouched


def test_threshold_warn_still_flags(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]\nmax_delete_percent: 10")
    _ok(project, "embedded")
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    with caplog.at_level("WARNING"):
        _ok(project, "embedded")
    assert "detect_deletes: 33.3% of rows flagged for deletion exceeds threshold of 10%" in caplog.text
    assert [r["_is_deleted"] for r in _target(tmp_path)] == [False, False, True, False]


def test_first_run_error_when_asked(tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]\non_first_run: error")
    result = _run(project, "embedded")
    assert not result.ok
    assert "No previous version exists for snapshot_diff" in str(result.results[0].error)


def test_sql_compare_flags_keys_gone_from_the_source(tmp_path: Path) -> None:
    """Embedded only: Spark reads SQL sources through JDBC (Sail's needs connectorx, not installed here)."""
    con = sqlite3.connect(tmp_path / "erp.db")
    con.execute("CREATE TABLE customers (customer_id INTEGER)")
    con.executemany("INSERT INTO customers VALUES (?)", [(1,), (2,), (4,)])
    con.commit()
    con.close()
    project = _project(tmp_path, "mode: sql_compare\nkeys: [customer_id]\nsource_connection: erp\n"
                                 "source_table: customers")
    text = project.read_text().replace("connections:\n", "connections:\n  erp: {type: sql, url: 'sqlite:///erp.db'}\n")
    project.write_text(text)
    _ok(project, "embedded")
    assert [(r["customer_id"], r["_is_deleted"]) for r in _target(tmp_path)] == [
        (1, False), (2, False), (3, True), (4, False)]


@pytest.mark.parametrize("params, where, message", [
    pytest.param("mode: snapshot_diff", "params.mode", "'keys' is required when mode is 'snapshot_diff'",
                 id="keys required"),
    pytest.param("mode: sql_compare\nkeys: [customer_id]\nsource_table: t", "params.mode",
                 "'source_connection' is required", id="sql_compare needs a connection"),
    pytest.param("mode: snapshot\nkeys: [customer_id]", "params.mode", "expected one of none, snapshot_diff",
                 id="unknown mode"),
    pytest.param("mode: snapshot_diff\nkeys: [customer_id]\nmax_delete_percent: 150",
                 "params.max_delete_percent", "between 0 and 100", id="percent out of range"),
    pytest.param("mode: snapshot_diff\nkeys: [customer_id]\nkeyz: [x]", "params.keyz", "no parameter 'keyz'",
                 id="unknown param"),
])
def test_params_errors_are_located_at_validate(tmp_path: Path, params: str, where: str, message: str) -> None:
    project = _project(tmp_path, params)
    with pytest.raises(ProjectError) as info:
        compile_project(project)
    text = str(info.value)
    assert message in text and f"pipelines[0].nodes[0].{where}:" in text


def test_as_a_function_step(tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]\nsoft_delete_col: gone")
    text = project.read_text().replace("        transformer: detect_deletes\n        params:\n",
                                       "        transform:\n          steps:\n            - function: detect_deletes\n"
                                       "              params:\n")
    project.write_text(text.replace("\n          mode:", "\n                mode:")
                       .replace("\n          keys:", "\n                keys:")
                       .replace("\n          soft_delete_col:", "\n                soft_delete_col:"))
    _ok(project, "embedded")
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    _ok(project, "embedded")
    assert [(r["customer_id"], r["gone"]) for r in _target(tmp_path)] == [(1, False), (2, False), (3, True), (4, False)]


CHECK_PROJECT = HEADER.replace("NAME", "checks") + """\
  - pipeline: checks
    nodes:
      - name: staging
        read: {connection: bronze, format: csv, path: a.csv}
      - name: prod
        read: {connection: bronze, format: csv, path: b.csv}
      - name: compared
        depends_on: [staging, prod]
        transformer: cross_check
        params: PARAMS
        write: {connection: silver, format: delta, path: compared, mode: overwrite}
"""


def _check_project(tmp_path: Path, params: str, second: str, which: str) -> Any:
    (tmp_path / "bronze").mkdir()
    (tmp_path / "bronze" / "a.csv").write_text(FIRST)
    (tmp_path / "bronze" / "b.csv").write_text(second)
    (tmp_path / "odibi.yaml").write_text(CHECK_PROJECT.replace("PARAMS", params))
    return _run(tmp_path / "odibi.yaml", which)


@pytest.mark.parametrize("params, second, error", [
    pytest.param("{type: row_count_diff, inputs: [staging, prod]}", FIRST, None, id="same counts pass"),
    pytest.param("{type: row_count_diff, inputs: [staging, prod], threshold: 0.3}", SECOND, None,
                 id="within threshold"),
    pytest.param("{type: row_count_diff, inputs: [staging, prod]}", SECOND,
                 "Row count mismatch: prod (3) vs staging (4). Diff 25.0% > 0.0%", id="count mismatch"),
    pytest.param("{type: schema_match, inputs: [staging, prod]}", "customer_id,email\n1,a@x.io\n",
                 "Schema mismatch for input 'prod' (compared to 'staging')", id="schema mismatch"),
])
@pytest.mark.parametrize("which", ENGINES)
def test_cross_check_fails_the_node_or_passes_the_data_through(request: pytest.FixtureRequest, tmp_path: Path,
                                                               params: str, second: str, error: str | None,
                                                               which: str) -> None:
    _engine(request, which)
    result = _check_project(tmp_path, params, second, which)
    failed = {r.node_id: str(r.error) for r in result.results if r.error}
    if error is None:
        assert result.ok, failed
        engine = get_engine("pandas")
        rows = engine.to_arrow(engine.read(ReadSpec("silver", "delta", path="compared"), local(tmp_path)))
        assert rows.num_rows == 4  # the first input, unchanged
    else:
        assert error in next(iter(failed.values()))
        assert not (tmp_path / "silver" / "compared").exists()


def test_cross_check_params_located_at_validate(tmp_path: Path) -> None:
    (tmp_path / "bronze").mkdir()
    (tmp_path / "odibi.yaml").write_text(CHECK_PROJECT.replace("PARAMS", "{type: row_count, inputs: [staging]}"))
    with pytest.raises(ProjectError) as info:
        compile_project(tmp_path / "odibi.yaml")
    text = str(info.value)
    assert "pipelines[0].nodes[2].params.type:" in text and "expected one of row_count_diff, schema_match" in text
    assert "pipelines[0].nodes[2].params.inputs:" in text and "at least 2 inputs" in text
