"""A node whose output is legitimately empty writes an empty dataset: overwrite and append, csv / json /
parquet, on the embedded engine and on Spark (Sail, which writes no files for an empty DataFrame, and JVM).
A reader of the target gets 0 rows and, where the format keeps them without rows, the columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines import get_engine
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec
from odibi_provider.runner import run_project
from tests.engines.conftest import spark_engine
from tests.engines.test_engine_parity import frame

ORDERS = {"id": [1, 2, 3], "status": ["paid", "open", "paid"]}
COLUMNS = {"parquet": ["id", "status"], "csv": ["id", "status"], "json": None}  # json lines: no rows, no columns


@pytest.fixture(params=["embedded", "sail", "jvm"])
def engine(request: pytest.FixtureRequest) -> Any:
    if request.param == "embedded":
        return get_engine("pandas")
    pytest.importorskip("pyspark")
    return spark_engine(request.getfixturevalue(f"{request.param}_session"))


def _empty(engine: Any) -> Any:
    """Every row filtered out by a step, as a node's SQL would."""
    return engine.sql("SELECT * FROM df WHERE status = 'none such'", {"df": frame(engine, ORDERS)})


def _write(engine: Any, lake: Any, data: Any, fmt: str, path: str, mode: str, write_id: str) -> Any:
    return engine.write(data, WriteSpec("lake", fmt, path=path, mode=mode), lake, write_id=write_id)


def _read(engine: Any, lake: Any, fmt: str, path: str) -> tuple[int, list[str]]:
    data = engine.read(ReadSpec("lake", fmt, path=path, options=FrozenMap()), lake)
    return engine.count(data), [name for name, _ in engine.schema(data)]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
@pytest.mark.parametrize("mode", ["overwrite", "append"])
def test_zero_rows_write_an_empty_dataset_a_reader_can_open(engine: Any, tmp_path: Path, fmt: str,
                                                            mode: str) -> None:
    lake = LocalConnection("lake", "lake", tmp_path)
    outcome = _write(engine, lake, _empty(engine), fmt, "empty", mode, "r1:n")
    assert outcome.rows_written == 0
    rows, columns = _read(engine, lake, fmt, "empty")
    assert rows == 0
    if COLUMNS[fmt] is not None:
        assert columns == COLUMNS[fmt]
    _write(engine, lake, frame(engine, ORDERS), fmt, "full", "overwrite", "r1:n")
    assert _write(engine, lake, _empty(engine), fmt, "full", mode, "r2:n").rows_written == 0
    assert _read(engine, lake, fmt, "full")[0] == (0 if mode == "overwrite" else 3)
    assert not [p.name for p in (tmp_path / "lake").iterdir() if p.name.startswith(".")], "no stage left behind"


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_appends_after_an_empty_dataset_take_the_new_rows(engine: Any, tmp_path: Path, fmt: str) -> None:
    """An empty csv (header only) or json (no line) holds no schema to drift from: a second empty append and then
    real rows append cleanly (an empty csv reads back as text columns, an empty json as none)."""
    lake = LocalConnection("lake", "lake", tmp_path)
    _write(engine, lake, _empty(engine), fmt, "daily", "append", "r1:n")
    assert _write(engine, lake, _empty(engine), fmt, "daily", "append", "r2:n").rows_written == 0
    assert _write(engine, lake, frame(engine, ORDERS), fmt, "daily", "append", "r3:n").rows_written == 3
    rows, columns = _read(engine, lake, fmt, "daily")
    assert rows == 3 and columns == ["id", "status"]


PROJECT = """\
project: empty
connections:
  raw: {type: local, base_path: raw}
  lake: {type: local, base_path: lake}
story: {enabled: false}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: refunds
        read: {connection: raw, format: csv, path: orders.csv}
        transform: {steps: ["SELECT id, status FROM df WHERE status = 'refunded'"]}
        write: {connection: lake, format: parquet, path: refunds, mode: append}
"""


@pytest.mark.parametrize("which", ["embedded", "sail"])
def test_a_filter_matching_nothing_writes_an_empty_parquet_dataset(make_project: Any, request: pytest.FixtureRequest,
                                                                   which: str) -> None:
    import pyarrow.dataset as ds

    if which == "sail":
        pytest.importorskip("pyspark")
        spark_engine(request.getfixturevalue("sail_session"))
    project = make_project(PROJECT, files={"raw/orders.csv": "id,status\n1,paid\n2,open\n"})
    result = run_project(project, engine="spark" if which == "sail" else None)["p.refunds"]
    assert result.ok, result.error
    assert result.rows_written == 0
    written = ds.dataset(project.parent / "lake" / "refunds", format="parquet").to_table()
    assert (written.num_rows, written.column_names) == (0, ["id", "status"])
