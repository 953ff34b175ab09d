"""Empty input is not data, dropped rows are counted, csv errors name the file and line (issue 10: 4, 5, 15).

Runs real projects on the embedded engine (DuckDB) and, where Spark behaves differently, on a JVM session.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from odibi_provider.hooks import HookManager
from odibi_provider.runner import run_project
from odibi_provider.runner.views import log_lines, node_story

PROJECT = """
project: inputs
connections:
  raw: {type: local, base_path: raw}
  lake: {type: local, base_path: lake}
story: {connection: lake, path: stories}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: load
        read: {connection: raw, format: csv, path: READ_PATH, options: OPTIONS}
        write: {connection: lake, format: parquet, path: orders.parquet}
        QUARANTINE
"""
QUARANTINE = "validation: {quarantine: {connection: lake, path: rejects.parquet}}"
ORDERS = "id,qty\n" + "".join(f"{i},{i % 7}\n" for i in range(1, 5001))


def _project(make_project: Any, files: dict[str, str], *, path: str = "orders.csv", options: str = "{header: true}",
             quarantine: bool = False) -> Path:
    text = PROJECT.replace("READ_PATH", path).replace("OPTIONS", options)
    text = text.replace("QUARANTINE", QUARANTINE if quarantine else "")
    return make_project(text, files={f"raw/{name}": body for name, body in files.items()})


def _events(hooks: HookManager, kind: str) -> list[Any]:
    seen: list[Any] = []
    hooks.on(kind)(seen.append)
    return seen


# --- 4. empty input is not data -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param("", r"orders\.csv' is empty \(0 bytes\)", id="0-byte csv"),
    pytest.param("id,qty,note\n1,5,a\n2,6", r"orders\.csv' ends mid-row .*2 of 3 fields", id="csv cut mid-row"),
    pytest.param('id,qty,note\n1,5,a\n2,6,"half', r"orders\.csv' ends mid-row", id="csv cut inside a quote"),
])
def test_an_empty_or_truncated_csv_fails_naming_the_file_and_keeps_the_dataset(make_project: Any, body: str,
                                                                                expected: str) -> None:
    project = _project(make_project, {"orders.csv": ORDERS})
    assert run_project(project).ok
    (project.parent / "raw" / "orders.csv").write_text(body)
    run = run_project(project)
    assert run.failed == ("p.load",)
    assert run["p.load"].error is not None
    assert "connection 'raw', csv path 'orders.csv'" in run["p.load"].error
    assert pytest.importorskip("re").search(expected, run["p.load"].error)
    assert pq.read_table(project.parent / "lake" / "orders.parquet").num_rows == 5000, "the old data is kept"


def test_a_0_byte_parquet_input_names_the_file(make_project: Any) -> None:
    text = PROJECT.replace("format: csv, path: READ_PATH, options: OPTIONS", "format: parquet, path: in.parquet")
    project = make_project(text.replace("QUARANTINE", ""), files={"raw/in.parquet": ""})
    run = run_project(project)
    assert run.failed == ("p.load",)
    assert "in.parquet' is empty (0 bytes), so it is not a parquet file" in (run["p.load"].error or "")


def test_a_header_only_overwrite_of_a_full_dataset_warns_in_result_story_events_and_logs(make_project: Any) -> None:
    project = _project(make_project, {"orders.csv": ORDERS})
    assert run_project(project)["p.load"].status == "success"
    (project.parent / "raw" / "orders.csv").write_text("id,qty\n")
    hooks = HookManager()
    warnings = _events(hooks, "node_warning")
    run = run_project(project, hooks=hooks)
    result = run["p.load"]
    assert result.ok and result.status == "warning" and result.rows_written == 0
    assert pq.read_table(project.parent / "lake" / "orders.parquet").num_rows == 0, "the overwrite still happens"
    assert len(result.warnings) == 1 and "replaced the non-empty dataset" in result.warnings[0]
    assert [(e.node, e.details["kind"]) for e in warnings] == [("p.load", "empty_overwrite")]
    assert node_story(result, run_id=run.run_id, project="inputs").to_dict()["warnings"] == list(result.warnings)
    assert any(level == logging.WARNING and "replaced the non-empty dataset" in text
               for level, text in log_lines(result))
    # a first write of 0 rows replaces nothing: no warning
    (project.parent / "lake" / "orders.parquet").unlink()
    assert run_project(project)["p.load"].warnings == ()


# --- 5. dropped rows are counted --------------------------------------------------------------------------------------


BAD_PART_1 = "id,qty\n1,5\n2,not-a-number\n3,7\n4,8,extra\n"
BAD_PART_2 = "id,qty\n5,x\n6,6\n"


def test_ignore_errors_counts_rows_dropped_across_a_glob_and_quarantines_them(make_project: Any) -> None:
    project = _project(make_project, {"in/a.csv": BAD_PART_1, "in/b.csv": BAD_PART_2}, path="'in/*.csv'",
                       options="{header: true, ignore_errors: true, dtype: {qty: int}}", quarantine=True)
    hooks = HookManager()
    warnings, complete = _events(hooks, "node_warning"), _events(hooks, "node_complete")
    run = run_project(project, hooks=hooks)
    result = run["p.load"]
    assert result.ok, result.error
    assert sorted(pq.read_table(project.parent / "lake" / "orders.parquet").column("id").to_pylist()) == [1, 3, 6]
    assert result.rows_rejected == 3
    assert result.metadata()["rows_rejected"] == 3
    assert complete[0].details["rows_rejected"] == 3
    assert [(e.details["kind"], e.rows) for e in warnings] == [("rows_rejected", 3)]
    assert node_story(result, run_id=run.run_id, project="inputs").to_dict()["rows_rejected"] == 3
    rejected = pq.read_table(result.quarantine_target).to_pylist()
    assert [(Path(r["_odibi_file"]).name, r["_odibi_line"], r["_odibi_raw_line"]) for r in rejected] == [
        ("a.csv", 3, "2,not-a-number"), ("a.csv", 5, "4,8,extra"), ("b.csv", 2, "5,x")]
    assert "not-a-number" in rejected[0]["_odibi_failed_tests"]


def test_dagster_metadata_shows_rejected_rows(make_project: Any) -> None:
    pytest.importorskip("dagster")
    from odibi_provider.dagster.metadata import materialization_metadata

    project = _project(make_project, {"orders.csv": BAD_PART_1}, options="{ignore_errors: true, dtype: {qty: int}}")
    result = run_project(project)["p.load"]
    assert materialization_metadata(result, "r", "inputs")["odibi/rows_rejected"] == 2


def test_the_retail_example_style_read_reports_no_rejects_on_clean_data(make_project: Any) -> None:
    project = _project(make_project, {"orders.csv": ORDERS},
                       options="{header: true, all_varchar: true, ignore_errors: true, strict_mode: false}")
    result = run_project(project)["p.load"]
    assert result.status == "success" and result.rows_rejected == 0 and result.warnings == ()


# --- 15. csv read errors carry the file and line; DuckDB's suggested options are accepted ----------------------------


def test_a_csv_error_names_the_file_the_line_and_the_fix(make_project: Any) -> None:
    rows = "id,qty\n" + "".join(f"{i},{i % 7}\n" for i in range(1, 30_001)) + "30001,x\n"  # past the sniff
    project = _project(make_project, {"orders.csv": rows}, options="{header: true}")
    run = run_project(project, engine="pandas")
    error = run["p.load"].error or ""
    assert "orders.csv', line 30002" in error
    assert "Could not convert string \"x\"" in error


def test_max_line_size_suggested_by_duckdb_is_accepted(make_project: Any) -> None:
    long_row = "id,note\n1," + "x" * 2_100_000 + "\n"
    project = _project(make_project, {"orders.csv": long_row})
    error = run_project(project)["p.load"].error or ""
    assert "orders.csv', line" in error and "max_line_size=" in error
    fixed = _project(make_project, {"orders.csv": long_row}, options="{max_line_size: 3000000}")
    assert run_project(fixed)["p.load"].rows_written == 1


# --- Spark: DROPMALFORMED drops the same rows, and they are counted the same way -------------------------------------


def test_spark_counts_the_rows_ignore_errors_drops(make_project: Any, jvm_session: Any) -> None:
    from tests.engines.conftest import spark_engine

    spark_engine(jvm_session)
    project = _project(make_project, {"orders.csv": "id,amount,note\n1,2.5,a\n2,x,b\n3,4.0,c\n4,5.0,d,extra\n"},
                       options="{header: true, ignore_errors: true, columns: {id: int, amount: double, note: str}}",
                       quarantine=True)
    result = run_project(project, engine="spark")["p.load"]
    assert result.ok, result.error
    assert sorted(pq.read_table(project.parent / "lake" / "orders.parquet").column("id").to_pylist()) == [1, 3]
    assert result.rows_rejected == 2
    raw = sorted(r["_odibi_raw_line"] for r in pq.read_table(result.quarantine_target).to_pylist())
    assert raw == ["2,x,b", "4,5.0,d,extra"]
