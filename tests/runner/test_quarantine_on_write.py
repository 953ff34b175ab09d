"""Quarantined rows are written only when the node writes: a blocking test that fails leaves no quarantine
behind, and a retry of the node in the same run (same run id) does not append its quarantined rows twice,
also when retention pruned the target. On the embedded engine and on Spark (Sail)."""

from __future__ import annotations

import datetime as dt
import glob
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odibi_provider.plan import load_plan
from odibi_provider.runner import RunContext, run_node, run_project
from tests.engines.conftest import sail_session  # noqa: F401 (the session fixture, shared with engine tests)

PROJECT = """\
project: q
connections:
  raw: {type: local, base_path: raw}
  out: {type: local, base_path: out}
story: {enabled: false}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        validation:
          tests:
            - {type: range, column: amount, min: 0, on_fail: quarantine}
            - {type: row_count, max: MAX_ROWS}
          quarantine:
            connection: out
            path: rejected
            add_columns: {_rejection_reason: true, _rejected_at: true}
            retention_days: 30
        write: {connection: out, format: parquet, path: gold/orders}
"""
ROWS = "id,amount\n1,10\n2,-1\n3,5\n4,-7\n"
ENGINES = [pytest.param("embedded", id="embedded"), pytest.param("spark", id="spark")]


def _project(tmp_path: Path, max_rows: int) -> Path:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "orders.csv").write_text(ROWS)
    (tmp_path / "odibi.yaml").write_text(PROJECT.replace("MAX_ROWS", str(max_rows)))
    return tmp_path / "odibi.yaml"


def _engine(request: pytest.FixtureRequest, which: str) -> str | None:
    if which != "spark":
        return None
    pytest.importorskip("pyspark")
    from tests.engines.conftest import spark_engine

    spark_engine(request.getfixturevalue("sail_session"))
    return "spark"


def _rows(folder: Path) -> list[dict[str, Any]]:
    files = [str(folder)] if folder.is_file() else sorted(glob.glob(str(folder / "**" / "*.parquet"), recursive=True))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


@pytest.mark.parametrize("which", ENGINES)
def test_a_failing_blocking_test_writes_no_quarantine(tmp_path: Path, request: pytest.FixtureRequest,
                                                      which: str) -> None:
    project = _project(tmp_path, max_rows=2)  # row_count (on_fail: fail) fails: the node writes nothing
    result = run_project(project, workers=1, engine=_engine(request, which))["p.orders"]
    assert result.status == "failed" and "row_count" in (result.error or "")
    assert result.quarantined_rows == 0 and result.quarantine_target is None
    assert not (tmp_path / "out" / "gold").exists()
    assert not (tmp_path / "out" / "rejected").exists(), "quarantine written for a node that wrote nothing"


@pytest.mark.parametrize("which", ENGINES)
def test_a_retry_in_the_same_run_quarantines_each_row_once(tmp_path: Path, request: pytest.FixtureRequest,
                                                           which: str) -> None:
    project = _project(tmp_path, max_rows=100)
    earlier = {"id": [8, 9], "amount": [-8, -9], "_rejection_reason": ["Failed: recent", "Failed: expired"],
               "_rejected_at": [dt.datetime.now(dt.UTC).isoformat(), "2000-01-01T00:00:00+00:00"]}
    (tmp_path / "out" / "rejected").mkdir(parents=True)
    pq.write_table(pa.table(earlier), tmp_path / "out" / "rejected" / "part-earlier.parquet")
    (tmp_path / "out" / "gold").write_text("a file where the write needs a folder")  # the write fails
    ctx = RunContext(plan=load_plan(project), retries="host", engine_override=_engine(request, which))
    first = run_node(ctx.plan, "p.orders", ctx)
    assert first.status == "failed"
    (tmp_path / "out" / "gold").unlink()  # the host retries the node in the same run
    second = run_node(ctx.plan, "p.orders", ctx)
    assert second.status == "warning", second.error
    assert sorted(r["id"] for r in _rows(tmp_path / "out" / "gold" / "orders")) == [1, 3]
    rejected = _rows(tmp_path / "out" / "rejected")
    assert sorted((r["id"], r["_rejection_reason"]) for r in rejected) == [
        (2, "Failed: range_amount"), (4, "Failed: range_amount"), (8, "Failed: recent")]
