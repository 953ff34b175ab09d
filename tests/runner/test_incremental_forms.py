"""Odibi's ``read.incremental`` forms, run twice on the embedded engine and on Spark (Sail): ``stateful``
(mark, ``fallback_column``, ``watermark_lag``, ``date_format``), ``rolling_window`` (``lookback`` + ``unit``,
Odibi's string forms), a SQL table source; malformed durations are located errors at validate."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines import get_engine
from odibi_provider.errors import ProjectError
from odibi_provider.plan.cache import compile_project
from odibi_provider.plan.model import ReadSpec
from odibi_provider.runner import run_project
from tests.engines.conftest import sail_session  # noqa: F401 (the session fixture, shared with engine tests)

PROJECT = """\
project: inc
connections:
  raw: {type: local, base_path: raw}
  out: {type: local, base_path: out}
  db: {type: sql, url: "sqlite:///DB"}
pipelines:
  - pipeline: p
    nodes:
      - name: events
        read:
          connection: raw
          format: csv
          path: events.csv
          incremental: INCREMENTAL
        write: {connection: out, format: parquet, path: events.parquet, mode: append}
"""
ENGINES = [pytest.param("embedded", id="embedded"), pytest.param("spark", id="spark")]


def _project(tmp_path: Path, incremental: str, rows: str) -> Path:
    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / "events.csv").write_text(rows)
    text = PROJECT.replace("INCREMENTAL", incremental).replace("DB", str(tmp_path / "src.db"))
    (tmp_path / "odibi.yaml").write_text(text)
    return tmp_path / "odibi.yaml"


def _append(tmp_path: Path, rows: str) -> None:
    with open(tmp_path / "raw" / "events.csv", "a", encoding="utf-8") as handle:
        handle.write(rows)


def _run(request: pytest.FixtureRequest, project: Path, which: str) -> int:
    if which == "spark":
        pytest.importorskip("pyspark")
        from tests.engines.conftest import spark_engine

        spark_engine(request.getfixturevalue("sail_session"))
    result = run_project(project, workers=1, engine="spark" if which == "spark" else None)
    assert result.ok, [(r.node_id, r.error) for r in result.results if r.error]
    written = result["p.events"].rows_written
    assert written is not None
    return written


def _ids(tmp_path: Path) -> list[int]:
    engine = get_engine("pandas")
    table = engine.to_arrow(engine.read(ReadSpec("out", "parquet", path="events.parquet"),
                                         LocalConnection("out", "out", tmp_path)))
    return sorted(table.column("id").to_pylist())


@pytest.mark.parametrize("which", ENGINES)
def test_stateful_reads_only_rows_past_the_mark(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    project = _project(tmp_path, "{mode: stateful, column: ts}", "id,ts\n1,2026-01-01 10:00:00\n2,2026-01-02 10:00:00\n")
    assert _run(request, project, which) == 2
    _append(tmp_path, "3,2026-01-03 10:00:00\n4,2026-01-01 12:00:00\n")
    assert _run(request, project, which) == 1, "only the row past the stored mark"
    assert _run(request, project, which) == 0
    assert _ids(tmp_path) == [1, 2, 3]


@pytest.mark.parametrize("which", ENGINES)
def test_fallback_column_and_watermark_lag(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    project = _project(tmp_path, "{mode: stateful, key_column: ts, fallback_column: created, watermark_lag: 1h}",
                       "id,ts,created\n1,2026-01-01 10:00:00,\n2,,2026-01-02 10:00:00\n")
    assert _run(request, project, which) == 2
    # the mark is 2026-01-02 10:00 (row 2's created: ts is NULL); the lag re-reads from 09:00
    _append(tmp_path, "3,2026-01-02 09:30:00,\n4,,2026-01-03 00:00:00\n5,2026-01-02 08:00:00,\n")
    assert _run(request, project, which) == 3, "rows 2 (overlap), 3 (late, inside the lag) and 4 (by created)"
    assert _ids(tmp_path) == [1, 2, 2, 3, 4]


@pytest.mark.parametrize("which", ENGINES)
def test_date_format_parses_a_text_column(request: pytest.FixtureRequest, tmp_path: Path, which: str) -> None:
    project = _project(tmp_path, "{mode: stateful, column: ts, date_format: oracle}",
                       "id,ts\n1,20-APR-24 07:11:01.0\n2,02-MAY-24 08:00:00.0\n")
    assert _run(request, project, which) == 2
    _append(tmp_path, "3,03-JAN-25 00:00:00.0\n4,30-APR-24 00:00:00.0\n")  # 4 sorts after 3 as text, not as a date
    assert _run(request, project, which) == 1
    assert _ids(tmp_path) == [1, 2, 3]


def _stamp(days: float) -> str:
    return (dt.datetime.now() - dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("which", ENGINES)
@pytest.mark.parametrize("incremental", [
    pytest.param("{mode: rolling_window, column: ts, lookback: 3, unit: day}", id="lookback 3 unit day"),
    pytest.param("{column: ts, lookback: 3}", id="no mode, count: Odibi's rolling window in days"),
    pytest.param('{column: ts, lookback: "3"}', id="a quoted count is days, not seconds"),
    pytest.param("{mode: rolling_window, column: ts, lookback: 72h}", id="a duration with its unit"),
])
def test_rolling_window(request: pytest.FixtureRequest, tmp_path: Path, which: str, incremental: str) -> None:
    project = _project(tmp_path, incremental, f"id,ts\n1,{_stamp(10)}\n2,{_stamp(2)}\n")
    assert _run(request, project, which) == 2, "first run: the target does not exist, every row is read"
    _append(tmp_path, f"3,{_stamp(0.1)}\n4,{_stamp(2.5)}\n5,{_stamp(5)}\n")
    assert _run(request, project, which) == 3, "the rows of the last 3 days: 2 (again), 3 and 4 (older than 2)"
    assert _ids(tmp_path) == [1, 2, 2, 3, 4]


def test_incremental_read_of_a_sql_table(tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE events (id INTEGER, ts TEXT)")
        conn.executemany("INSERT INTO events VALUES (?, ?)", [(1, "2026-01-01 10:00:00"), (2, "2026-01-02 10:00:00")])
    project = _project(tmp_path, "{mode: stateful, column: id}", "")
    project.write_text(project.read_text().replace("connection: raw\n          format: csv\n          path: events.csv",
                                                   "connection: db\n          format: sql\n          table: events"))
    result = run_project(project, workers=1)
    assert result["p.events"].rows_written == 2
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO events VALUES (3, '2026-01-03 10:00:00')")
    assert run_project(project, workers=1)["p.events"].rows_written == 1
    assert _ids(tmp_path) == [1, 2, 3]


def _problem(tmp_path: Path, incremental: str) -> Any:
    project = _project(tmp_path, incremental, "id,ts\n1,2026-01-01 10:00:00\n")
    with pytest.raises(ProjectError) as info:
        compile_project(project)
    (problem,) = [p for p in info.value.problems if p.severity == "error"]
    return problem


@pytest.mark.parametrize("incremental, where, message", [
    pytest.param('{column: ts, lookback: "3 dayz"}', "incremental.lookback", "'3 dayz' is not a duration",
                 id="misspelt unit"),
    pytest.param("{mode: stateful, column: ts, watermark_lag: soon}", "incremental.watermark_lag",
                 "'soon' is not a duration", id="lag not a duration"),
    pytest.param('{mode: stateful, column: ts, watermark_lag: "2"}', "incremental.watermark_lag",
                 "a bare number needs a unit", id="lag without a unit"),
    pytest.param("{mode: stateful, column: ts, lookback: 3, unit: day}", "incremental",
                 "apply to mode 'rolling_window'", id="window keys on a stateful read"),
    pytest.param("{mode: rolling_window, column: ts, watermark_lag: 2h}", "incremental",
                 "'watermark_lag' applies to mode 'stateful'", id="lag on a rolling window"),
    pytest.param("{column: ts, lookback: 3, unit: days}", "incremental.unit", "expected 'hour', 'day'",
                 id="unknown unit"),
])
def test_malformed_incremental_is_located_at_validate(tmp_path: Path, incremental: str, where: str,
                                                      message: str) -> None:
    problem = _problem(tmp_path, incremental)
    assert message in problem.message
    assert problem.path == f"pipelines[0].nodes[0].read.{where}"
    assert problem.file and problem.file.endswith("odibi.yaml") and problem.line == 14
    if "not a duration" in message:
        assert "accepted forms" in problem.message and "30m, 2h, 1d" in problem.message


def test_rolling_window_over_text_timestamps_of_a_sql_table(tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    with sqlite3.connect(db) as conn:  # SQLite keeps timestamps as ISO text
        conn.execute("CREATE TABLE events (id INTEGER, ts TEXT)")
        conn.executemany("INSERT INTO events VALUES (?, ?)", [(1, _stamp(10)), (2, _stamp(1))])
    project = _project(tmp_path, "{mode: rolling_window, column: ts, lookback: 2, unit: day}", "")
    project.write_text(project.read_text().replace("connection: raw\n          format: csv\n          path: events.csv",
                                                   "connection: db\n          format: sql\n          table: events"))
    assert run_project(project, workers=1)["p.events"].rows_written == 2
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO events VALUES (3, ?)", (_stamp(0.5),))
    assert run_project(project, workers=1)["p.events"].rows_written == 2, "rows 2 and 3: the last 2 days"
    assert _ids(tmp_path) == [1, 2, 2, 3]


def test_watermark_lag_on_a_numeric_mark_fails_saying_why(tmp_path: Path) -> None:
    project = _project(tmp_path, "{mode: stateful, column: id, watermark_lag: 1h}", "id,ts\n1,2026-01-01 10:00:00\n")
    assert run_project(project, workers=1)["p.events"].rows_written == 1
    result = run_project(project, workers=1)["p.events"]
    assert result.status == "failed" and not result.retryable
    assert "the mark of 'id' is the number 1; drop watermark_lag" in (result.error or "")
