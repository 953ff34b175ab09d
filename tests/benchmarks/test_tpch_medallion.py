"""The TPC-H medallion benchmark times a host's run, not the setup a deployment pays once (reported apart)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.tpch_medallion import measure
from benchmarks.tpch_queries import QUERIES, TABLES


@pytest.fixture(scope="module")
def tiny_tpch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TPC-H CSV at scale 0.001 (a few thousand rows), generated for the test."""
    target = tmp_path_factory.mktemp("tpch")
    cli = shutil.which("tpchgen-cli") or str(Path(sys.executable).with_name("tpchgen-cli"))
    subprocess.run([cli, "csv", "-s", "0.001", f"--output-dir={target}"], check=True, capture_output=True)
    return target


@pytest.mark.slow
def test_airflow_pipeline_reports_its_one_time_setup_apart_and_writes_every_table(tiny_tpch, tmp_path,
                                                                                   monkeypatch) -> None:
    monkeypatch.delenv("ODIBI_BENCH_AIRFLOW_DB", raising=False)  # the variant migrates its own DB: setup too
    out = tmp_path / "airflow-pipeline"
    run = measure("airflow-pipeline", tiny_tpch, out)
    assert run.setup_wall > 0, "importing Airflow and starting its Execution API must not count as the run"
    assert run.wall > 0 and run.cpu > 0
    written = {p.relative_to(out).as_posix() for p in out.glob("*/*.parquet")}
    assert written >= {f"{layer}/{t}.parquet" for layer in ("bronze", "silver") for t in TABLES} | {
        f"gold/{name}.parquet" for name in QUERIES}
