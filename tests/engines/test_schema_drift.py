"""One schema-drift policy for writes that keep rows: both engines, csv/json/parquet (one file and hive
folders), delta and sql. Drift fails listing every difference; ``merge_schema: true`` adds new columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines.schema_drift import SchemaDriftError
from odibi_provider.plan.model import ReadSpec, WriteSpec

FIRST = pa.table({"id": [1, 2], "amount": [10, 20], "region": ["eu", "us"]})
FORMATS = [pytest.param(fmt, part, id=f"{fmt}-{'hive' if part else 'file'}")
           for fmt in ("csv", "json", "parquet") for part in ((), ("region",))]


@pytest.fixture(params=["embedded", "spark"])
def engine(request: pytest.FixtureRequest) -> Any:
    if request.param == "embedded":
        from odibi_provider.engines import get_engine

        return get_engine("pandas")
    pytest.importorskip("pyspark")
    from tests.engines.conftest import spark_engine

    return spark_engine(request.getfixturevalue("sail_session"))


@pytest.fixture
def lake(tmp_path: Path) -> Any:
    from odibi_provider.connections.local import LocalConnection

    return LocalConnection("lake", "lake", tmp_path)


def _write(engine: Any, lake: Any, table: pa.Table, fmt: str, part: tuple[str, ...], mode: str, write_id: str,
           **kw: Any) -> Any:
    path = f"orders.{fmt}" if not part else f"orders_{fmt}"
    spec = WriteSpec("lake", fmt, path=path, mode=mode, partition_by=part, keys=("id",), **kw)
    return engine.write(engine.from_arrow(table), spec, lake, write_id=write_id)


def _rows(engine: Any, lake: Any, fmt: str, part: tuple[str, ...]) -> list[dict[str, Any]]:
    path = f"orders.{fmt}" if not part else f"orders_{fmt}"
    table = engine.to_arrow(engine.read(ReadSpec("lake", fmt, path=path), lake))
    return sorted(table.to_pylist(), key=lambda r: r["id"])


@pytest.mark.parametrize("fmt, part", FORMATS)
@pytest.mark.parametrize("mode", ["append", "upsert"])
def test_drift_fails_listing_each_difference(engine: Any, lake: Any, fmt: str, part: tuple[str, ...],
                                             mode: str) -> None:
    _write(engine, lake, FIRST, fmt, part, "overwrite", "r1")
    drifted = pa.table({"id": [3], "amt": [5], "region": ["eu"], "channel": ["web"]})
    with pytest.raises(SchemaDriftError) as caught:
        _write(engine, lake, drifted, fmt, part, mode, "r2")
    message = str(caught.value)
    assert "path 'orders" in message and f"({mode})" in message
    assert "column 'amount'" in message and "missing from the data" in message
    assert "column 'amt'" in message and "column 'channel'" in message and "new in the data" in message
    assert "merge_schema: true" in message
    assert _rows(engine, lake, fmt, part) == sorted(FIRST.to_pylist(), key=lambda r: r["id"])


@pytest.mark.parametrize("fmt, part", [p for p in FORMATS if p.values[0] != "csv"])
def test_retyped_column_fails_even_with_merge_schema(engine: Any, lake: Any, fmt: str, part: tuple[str, ...]) -> None:
    _write(engine, lake, FIRST, fmt, part, "overwrite", "r1")
    retyped = pa.table({"id": [3], "amount": ["a lot"], "region": ["eu"]})
    with pytest.raises(SchemaDriftError, match=r"column 'amount': the dataset has \w+, the data has \w+ "
                                               r"\(type changed\)[\s\S]*merge_schema adds columns"):
        _write(engine, lake, retyped, fmt, part, "append", "r2", merge_schema=True)
    assert len(_rows(engine, lake, fmt, part)) == 2


@pytest.mark.parametrize("fmt, part", FORMATS)
def test_merge_schema_adds_new_columns_and_fills_missing_with_null(engine: Any, lake: Any, fmt: str,
                                                                   part: tuple[str, ...]) -> None:
    _write(engine, lake, FIRST, fmt, part, "overwrite", "r1")
    evolved = pa.table({"channel": ["web"], "region": ["eu"], "id": [3]})  # new channel, no amount, reordered
    _write(engine, lake, evolved, fmt, part, "append", "r2", merge_schema=True)
    _write(engine, lake, evolved, fmt, part, "append", "r2", merge_schema=True)  # a retry adds nothing
    rows = _rows(engine, lake, fmt, part)
    assert [(r["id"], r["amount"], r["region"], r["channel"]) for r in rows] == [
        (1, 10, "eu", None), (2, 20, "us", None), (3, None, "eu", "web")]


@pytest.mark.parametrize("part", [(), ("region",)], ids=["file", "hive"])
def test_reordered_csv_columns_land_in_their_columns_on_spark(sail_session: Any, lake: Any,
                                                              part: tuple[str, ...]) -> None:
    """Spark reads csv parts by position (the first header wins), so a writer must keep the dataset's order."""
    from tests.engines.conftest import spark_engine

    engine, fmt = spark_engine(sail_session), "csv"
    _write(engine, lake, FIRST, fmt, part, "overwrite", "r1")
    _write(engine, lake, pa.table({"region": ["eu"], "amount": [30], "id": [3]}), fmt, part, "append", "r2")
    assert _rows(engine, lake, fmt, part)[-1] == {"id": 3, "amount": 30, "region": "eu"}


def test_delta_refuses_drift_with_the_same_message(lake: Any) -> None:
    pytest.importorskip("deltalake")
    from odibi_provider.engines import get_engine

    engine = get_engine("pandas")
    spec = WriteSpec("lake", "delta", path="orders_delta", mode="overwrite")
    engine.write(FIRST, spec, lake, write_id="r1")
    drifted = pa.table({"id": [3], "amt": [5], "region": ["eu"]})
    with pytest.raises(SchemaDriftError, match=r"column 'amount' \(BIGINT\): in the dataset, missing[\s\S]*"
                                               r"column 'amt' \(BIGINT\): new in the data \(renamed from 'amount'\?\)"):
        engine.write(drifted, WriteSpec("lake", "delta", path="orders_delta", mode="append"), lake, write_id="r2")
    engine.write(pa.table({"id": [3], "region": ["eu"], "channel": ["web"]}),
                 WriteSpec("lake", "delta", path="orders_delta", mode="append", merge_schema=True), lake, write_id="r3")
    rows = engine.to_arrow(engine.read(ReadSpec("lake", "delta", path="orders_delta"), lake)).to_pylist()
    assert sorted((r["id"], r["amount"], r["channel"]) for r in rows) == [(1, 10, None), (2, 20, None), (3, None, "web")]
