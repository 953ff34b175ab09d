"""`odibi-provider run --logical-time` (and run_project's logical_time) set the time freshness is judged at."""

from __future__ import annotations

from pathlib import Path

import pytest

from odibi_provider.cli import main
from odibi_provider.runner import run_project

PROJECT = """
project: fresh
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
pipelines:
  - pipeline: events
    nodes:
      - name: loaded
        read: {connection: raw, format: csv, path: events.csv}
        validation:
          tests:
            - {type: freshness, column: ts, max_age: "24h"}
        write: {connection: lake, format: parquet, path: loaded.parquet}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.csv").write_text("id,ts\n1,2026-04-29 10:00:00\n")
    (tmp_path / "odibi.yaml").write_text(PROJECT)
    return tmp_path


def test_run_judges_freshness_at_the_logical_time(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(project), "--no-color", "--logical-time", "2026-04-30"]) == 0
    assert main(["run", str(project), "--no-color"]) == 1  # today: the data is months old
    assert "older than 24h" in capsys.readouterr().out


def test_run_project_takes_a_logical_time(project: Path) -> None:
    assert run_project(project, logical_time="2026-04-30T06:00:00+00:00").ok
    assert not run_project(project, logical_time="2026-05-02T06:00:00+00:00").ok


def test_a_malformed_logical_time_is_refused_before_running(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", str(project), "--logical-time", "30/04/2026"])
    assert "is not an ISO date or time" in capsys.readouterr().err
    assert not (project / "lake").exists()
