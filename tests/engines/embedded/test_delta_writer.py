"""write_table on Delta: one commit per write, write ids in the commit metadata, merges on keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec

FIRST = pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"], "region": ["eu", "us", "eu"]})
SECOND = pa.table({"id": [3, 4], "name": ["C", "d"], "region": ["eu", "us"]})


def _write(lake: Any, duck: Any, table: pa.Table, mode: str, write_id: str, **kw: Any) -> Any:
    spec = WriteSpec("lake", "delta", path="silver/orders", mode=mode, keys=("id",), **kw)
    return write_table(table, spec, lake, write_id=write_id, con=duck)


def _rows(lake: Any, duck: Any, **options: Any) -> list[tuple[Any, ...]]:
    table = read_table(ReadSpec("lake", "delta", path="silver/orders", options=FrozenMap(options)), lake, duck)
    return sorted(zip(*(table.column(c).to_pylist() for c in ("id", "name", "region")), strict=True))


@pytest.mark.parametrize("partition_by", [(), ("region",)], ids=["flat", "partitioned"])
@pytest.mark.parametrize("mode, expected, rows_written", [
    pytest.param("overwrite", [(3, "C", "eu"), (4, "d", "us")], 2, id="overwrite"),
    pytest.param("append", [(1, "a", "eu"), (2, "b", "us"), (3, "C", "eu"), (3, "c", "eu"), (4, "d", "us")], 2,
                 id="append"),
    pytest.param("upsert", [(1, "a", "eu"), (2, "b", "us"), (3, "C", "eu"), (4, "d", "us")], 2, id="upsert"),
    pytest.param("append_once", [(1, "a", "eu"), (2, "b", "us"), (3, "c", "eu"), (4, "d", "us")], 1,
                 id="append_once"),
])
def test_round_trip(lake: Any, duck: Any, partition_by: tuple[str, ...], mode: str,
                    expected: list[tuple[Any, ...]], rows_written: int) -> None:
    _write(lake, duck, FIRST, "overwrite", "run1", partition_by=partition_by)
    outcome = _write(lake, duck, SECOND, mode, "run2", partition_by=partition_by)
    assert (outcome.rows_written, outcome.skipped) == (rows_written, False)
    assert outcome.location == lake.resolve("silver/orders")
    assert outcome.details["version"] == 1
    assert _rows(lake, duck) == expected
    assert _rows(lake, duck, version=0) == [(1, "a", "eu"), (2, "b", "us"), (3, "c", "eu")]


def test_each_write_is_one_commit_carrying_its_write_id(lake: Any, duck: Any) -> None:
    for index, mode in enumerate(["overwrite", "append", "upsert", "append_once"]):
        _write(lake, duck, FIRST if index < 2 else SECOND.slice(index - 2, 1), mode, f"write-{index}")
    table = DeltaTable(lake.resolve("silver/orders"))
    assert table.version() == 3
    history = table.history()
    assert [h.get("odibi.write_id") for h in reversed(history)] == [f"write-{i}" for i in range(4)]
    assert table.transaction_version("odibi:write-1") is not None


def test_null_keys_match_null_keys_on_upsert(lake: Any, duck: Any) -> None:
    rows = pa.table({"id": pa.array([None, 1], pa.int64()), "name": ["x", "y"], "region": ["eu", "eu"]})
    _write(lake, duck, rows, "upsert", "a")
    _write(lake, duck, rows, "upsert", "b")
    assert read_table(ReadSpec("lake", "delta", path="silver/orders"), lake, duck).num_rows == 2


def test_types_delta_cannot_store_are_cast(lake: Any, duck: Any) -> None:
    table = pa.table({"id": pa.array([1], pa.uint32()), "ts": pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("ns")),
                      "nothing": pa.nulls(1), "name": ["a"], "region": ["eu"]})
    _write(lake, duck, table, "overwrite", "w")
    back = read_table(ReadSpec("lake", "delta", path="silver/orders"), lake, duck)
    assert back.schema.field("id").type == pa.int64()
    assert back.schema.field("ts").type == pa.timestamp("us")
    assert back.column("ts").to_pylist() == [dt.datetime(2024, 1, 1)]
