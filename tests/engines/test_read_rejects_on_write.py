"""Rows ``ignore_errors`` drops from a read reach the quarantine target only when the node goes on to write,
as the validation quarantine does: a blocking test or a blocked gate leaves no quarantine behind. On the
embedded engine and on Spark (a JVM session: Sail fails a read with malformed rows instead of dropping them).
Here, not under tests/runner, to share the one JVM session of ``tests/engines/conftest.py`` (a second copy of
that fixture would stop the JVM under the first)."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from odibi_provider.hooks import HookManager
from odibi_provider.runner import run_project
from tests.engines.conftest import spark_engine

PROJECT = """\
project: rejects
connections:
  raw: {type: local, base_path: raw}
  out: {type: local, base_path: out}
story: {enabled: false}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: orders
        read:
          connection: raw
          format: csv
          path: orders.csv
          options: {header: true, ignore_errors: true, TYPES: {id: int, amount: double}}
        validation:
          CHECK
          quarantine: {connection: out, path: rejected}
        write: {connection: out, format: parquet, path: gold/orders}
"""
ROWS = "id,amount\n1,10.0\n2,oops\n3,5.0\n4,-7.0\n"
BLOCKING = "tests: [{type: range, column: amount, min: 0, on_fail: fail}]"
GATE = "tests: [{type: range, column: amount, min: 0, on_fail: warn}]\n          gate: {require_pass_rate: 1.0}"
PASSING = "tests: [{type: not_null, columns: [id], on_fail: fail}]"
ENGINES = [pytest.param("embedded", id="embedded"), pytest.param("spark", id="spark-jvm")]


def _project(tmp_path: Path, which: str, check: str) -> Path:
    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / "orders.csv").write_text(ROWS)
    # the typed csv read as each engine's rejects scan knows it (the embedded one counts none with columns:)
    types = "columns" if which == "spark" else "dtype"
    (tmp_path / "odibi.yaml").write_text(PROJECT.replace("CHECK", check).replace("TYPES", types))
    return tmp_path / "odibi.yaml"


def _engine(request: pytest.FixtureRequest, which: str) -> str | None:
    """The run's engine override; Spark runs on the shared JVM session (skipped without pyspark or a JDK)."""
    if which == "spark":
        spark_engine(request.getfixturevalue("jvm_session"))
    return "spark" if which == "spark" else None


@pytest.mark.parametrize("which", ENGINES)
@pytest.mark.parametrize("check", [pytest.param(BLOCKING, id="blocking test"), pytest.param(GATE, id="gate")])
def test_read_rejects_are_quarantined_only_when_the_node_writes(tmp_path: Path, request: pytest.FixtureRequest,
                                                                which: str, check: str) -> None:
    engine = _engine(request, which)
    failed = run_project(_project(tmp_path, which, check), workers=1, engine=engine)["p.orders"]
    assert failed.status == "failed" and failed.rows_rejected == 1
    assert failed.quarantine_target is None
    assert not (tmp_path / "out" / "gold").exists()
    assert not (tmp_path / "out" / "rejected").exists(), "rejected rows written for a node that wrote nothing"

    hooks = HookManager()
    warnings: list[Any] = []
    hooks.on("node_warning")(warnings.append)
    passed = run_project(_project(tmp_path, which, PASSING), workers=1, engine=engine, hooks=hooks)["p.orders"]
    assert passed.ok, passed.error
    files = sorted(glob.glob(str(tmp_path / "out" / "rejected" / "**" / "*.parquet"), recursive=True))
    assert [r["_odibi_raw_line"] for f in files for r in pq.read_table(f).to_pylist()] == ["2,oops"]
    assert [(w.details["kind"], w.rows) for w in warnings] == [("rows_rejected", 1)]
    assert "written to" in passed.warnings[0] and passed.quarantine_target is not None
