"""Odibi's ``scd2`` and ``merge`` applied by the write against the existing target: a project shaped like
Odibi's canonical SCD2 example (``transformer: scd2`` with keys, track_cols, effective_time_col) run twice,
on parquet, Delta and SQLite targets; ``write.mode: merge`` with Odibi's strategies and conditions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines import get_engine
from odibi_provider.plan.cache import compile_project
from odibi_provider.plan.model import ReadSpec, WriteSpec
from odibi_provider.runner import run_project
from tests.engines.scd2_project import EXPECTED_HISTORY, SECOND, TARGETS, history, local, write_scd2_project


def _engine(request: pytest.FixtureRequest, which: str, fmt: str) -> Any:
    """The embedded engine, or Spark: on Sail for Delta, on a JVM session for files."""
    if which == "embedded":
        return get_engine("pandas")
    pytest.importorskip("pyspark")
    from tests.engines.conftest import spark_engine

    return spark_engine(request.getfixturevalue("sail_session" if fmt == "delta" else "jvm_session"))


def _run(project: Path, engine: str = "embedded") -> None:
    result = run_project(project, workers=1, engine="spark" if engine == "spark" else None)
    assert result.ok, [(r.node_id, r.error) for r in result.results if r.error]


@pytest.mark.parametrize("which", ["embedded", "spark"])
@pytest.mark.parametrize("fmt, target", TARGETS)
def test_scd2_closes_changed_rows_and_adds_current_versions(request: pytest.FixtureRequest, tmp_path: Path,
                                                            fmt: str, target: str, which: str) -> None:
    _engine(request, which, fmt)
    project = write_scd2_project(tmp_path, fmt, target)
    _run(project, which)
    first = history(tmp_path, fmt)
    assert [(r["customer_id"], r["is_current"], r["valid_to"]) for r in first] == [(1, True, None), (2, True, None)]

    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    _run(project, which)
    rows = history(tmp_path, fmt)
    assert [(r["customer_id"], r["tier"], r["is_current"], r["valid_to"], r["name"]) for r in rows] == EXPECTED_HISTORY

    _run(project, which)  # the same source again changes nothing
    assert history(tmp_path, fmt) == rows


def test_scd2_delete_col_closes_the_current_version(tmp_path: Path) -> None:
    engine, lake = get_engine("pandas"), local(tmp_path)
    spec = WriteSpec("silver", "parquet", path="dim", mode="scd2", keys=("id",), operation=_frozen(
        {"keys": ["id"], "track_cols": ["v"], "effective_time_col": "at", "delete_col": "gone"}))
    day = dt.date(2024, 1, 1)
    engine.write(pa.table({"id": [1, 2], "v": ["a", "b"], "at": [day] * 2, "gone": [False] * 2}), spec, lake,
                 write_id="r1")
    later = dt.date(2024, 3, 1)
    engine.write(pa.table({"id": [1], "v": ["a"], "at": [later], "gone": [True]}), spec, lake, write_id="r2")
    rows = engine.to_arrow(engine.read(ReadSpec("silver", "parquet", path="dim"), lake)).to_pylist()
    state = sorted((r["id"], r["is_current"], r["valid_to"] and r["valid_to"].date()) for r in rows)
    assert state == [(1, False, later), (2, True, None)]


def _frozen(params: dict[str, Any]) -> Any:
    from odibi_provider.plan.frozen import FrozenMap

    return FrozenMap(params)


MERGE_TARGET = pa.table({"id": [1, 2, 3], "v": [10, 20, 30], "deleted": [False, False, False]})
MERGE_SOURCE = pa.table({"id": [1, 2, 4, 5], "v": [11, 5, 40, 50], "deleted": [False, False, False, True]})


@pytest.mark.parametrize("which, fmt", [("embedded", "parquet"), ("embedded", "delta"), ("embedded", "sql"),
                                        ("spark", "parquet"), ("spark", "delta"), ("spark", "sql")])
@pytest.mark.parametrize("options, expected", [
    pytest.param({}, {1: 11, 2: 5, 3: 30, 4: 40, 5: 50}, id="upsert"),
    pytest.param({"strategy": "append_only"}, {1: 10, 2: 20, 3: 30, 4: 40, 5: 50}, id="append_only"),
    pytest.param({"strategy": "delete_match"}, {3: 30}, id="delete_match"),
    pytest.param({"update_condition": "source.v > target.v", "insert_condition": "source.deleted = false"},
                 {1: 11, 2: 20, 3: 30, 4: 40}, id="conditions"),
    pytest.param({"delete_condition": "source.v < target.v"}, {1: 11, 3: 30, 4: 40, 5: 50}, id="delete_condition"),
])
def test_merge_mode_applies_strategy_and_conditions(request: pytest.FixtureRequest, tmp_path: Path, which: str,
                                                    fmt: str, options: dict[str, Any],
                                                    expected: dict[int, int]) -> None:
    if (which, fmt) == ("spark", "delta") and "delete_condition" in options:
        pytest.skip("Sail records no commitInfo.userMetadata for MERGE INTO, so a re-run cannot be recognised "
                    "and re-inserts the deleted row (Delta Lake's Spark records it)")
    engine = _engine(request, which, fmt)
    if fmt == "sql":
        from odibi_provider.connections.sql import SqlDatabase
        from odibi_provider.manifest.substitution import Environment

        conn: Any = SqlDatabase("silver", f"sqlite:///{tmp_path / 'silver.db'}", None, Environment({}))
        where: dict[str, str] = {"table": "t"}
    else:
        conn, where = local(tmp_path), {"path": "t"}
    engine.write(engine.from_arrow(MERGE_TARGET), WriteSpec("silver", fmt, **where), conn, write_id="r0")
    spec = WriteSpec("silver", fmt, mode="merge", keys=("id",), operation=_frozen({"keys": ["id"], **options}),
                     **where)
    for write_id in ("r1", "r1"):  # a re-run of the same write changes nothing
        engine.write(engine.from_arrow(MERGE_SOURCE), spec, conn, write_id=write_id)
        got = engine.to_arrow(engine.read(ReadSpec("silver", fmt, **where), conn)).to_pylist()
        assert {r["id"]: r["v"] for r in got} == expected
        assert len(got) == len(expected)
    if fmt == "delta":  # one MERGE commit, not a rewrite of the table
        log = sorted((tmp_path / "silver" / "t" / "_delta_log").glob("*.json"))[-1].read_text()
        assert '"operation":"MERGE"' in log.replace(" ", "")


def test_write_mode_merge_in_yaml_compiles_odibi_merge_options(tmp_path: Path) -> None:
    project = write_scd2_project(tmp_path, "delta", "path: dim_customer")
    text = project.read_text().replace("        transformer: scd2\n", "").split("        params:")[0]
    text += ("        write: {connection: silver, format: delta, path: dim_customer, mode: merge, "
             "merge_keys: [customer_id],\n                merge_options: {strategy: append_only, "
             "audit_cols: {created_col: created_at}}}\n")
    project.write_text(text)
    write = compile_project(project).node("dimensions.dim_customer").write
    assert write is not None and write.mode == "merge"
    assert write.operation.thaw() == {"keys": ["customer_id"], "strategy": "append_only",
                                      "audit_cols": {"created_col": "created_at"}}
    _run(project)
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    _run(project)
    rows = history(tmp_path, "delta") if False else get_engine("pandas").to_arrow(get_engine("pandas").read(
        ReadSpec("silver", "delta", path="dim_customer"), local(tmp_path))).to_pylist()
    assert sorted((r["customer_id"], r["name"]) for r in rows) == [(1, "Ann"), (2, "Bob"), (3, "Cy")]
    assert all(r["created_at"] is not None for r in rows)


@pytest.mark.parametrize("params, message", [
    pytest.param({"keys": ["id"], "track_cols": ["v"]}, "missing parameter(s) effective_time_col", id="missing"),
    pytest.param({"keys": ["id"], "track_cols": ["v"], "effective_time_col": "at", "end_col": "x"},
                 "has no parameter 'end_col'", id="unknown"),
    pytest.param({"keys": ["id"], "track_cols": ["v"], "effective_time_col": "at", "target": "other"},
                 "target 'other' is not the dataset the node writes", id="other target"),
])
def test_scd2_params_are_checked_where_written(params: dict[str, Any], message: str) -> None:
    from odibi_provider.plan.patterns_write import write_settings

    problems: list[tuple[str, tuple[Any, ...]]] = []

    class Node:
        transformer, pattern = "scd2", None

    Node.params = params  # type: ignore[attr-defined]
    write = WriteSpec("silver", "parquet", path="dim")
    write_settings(Node(), write, lambda msg, path, **kw: problems.append((msg, path)), ("pipelines", 0))
    assert any(message in msg for msg, _ in problems), problems
    assert all(path[:3] == ("pipelines", 0, "params") for _, path in problems)


def test_scd2_pattern_with_odibi_column_names_runs_like_the_transformer(tmp_path: Path) -> None:
    project = write_scd2_project(tmp_path, "delta", "path: dim_customer")
    text = project.read_text().replace("        transformer: scd2\n        params:\n", (
        "        pattern:\n          type: scd2\n          params:\n            target: silver.dim_customer\n"
        "            valid_to_col: valid_until\n            is_current_col: current\n"))
    project.write_text(text.replace("\n          keys:", "\n            keys:").replace(
        "\n          track_cols:", "\n            track_cols:").replace(
        "\n          effective_time_col:", "\n            effective_time_col:"))
    _run(project)
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    _run(project)
    table = get_engine("pandas").to_arrow(get_engine("pandas").read(
        ReadSpec("silver", "delta", path="dim_customer"), local(tmp_path)))
    bob = sorted((r["tier"], r["current"], r["valid_until"] is None) for r in table.to_pylist()
                 if r["customer_id"] == 2)
    assert bob == [("gold", True, True), ("silver", False, False)]


def test_scd2_refuses_a_new_source_column_instead_of_dropping_it(tmp_path: Path) -> None:
    from odibi_provider.errors import ExecutionError

    engine, lake = get_engine("pandas"), local(tmp_path)
    spec = WriteSpec("silver", "parquet", path="dim", mode="scd2", keys=("id",), operation=_frozen(
        {"keys": ["id"], "track_cols": ["v"], "effective_time_col": "at"}))
    engine.write(pa.table({"id": [1], "v": ["a"], "at": [dt.date(2024, 1, 1)]}), spec, lake, write_id="r1")
    wider = pa.table({"id": [1], "v": ["b"], "at": [dt.date(2024, 2, 1)], "extra": [1]})
    with pytest.raises(ExecutionError, match=r"parquet path 'dim': column\(s\) \['extra'\] are not in the "
                                             r"existing target .* overwrite the target once"):
        engine.write(wider, spec, lake, write_id="r2")
