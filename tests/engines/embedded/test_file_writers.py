"""write_table on files: every format and mode round-trips, layouts are as documented, swaps recover."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines import atomic
from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec

FORMATS = ["csv", "json", "parquet", "excel"]
FIRST = pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"], "region": ["eu", "us", "eu"]})
SECOND = pa.table({"id": [3, 4], "name": ["C", "d"], "region": ["eu", "us"]})


def _write(conn: Any, duck: Any, table: pa.Table, fmt: str, path: str, mode: str, write_id: str, *,
           partition_by: tuple[str, ...] = (), **options: Any) -> Any:
    spec = WriteSpec(conn.name, fmt, path=path, mode=mode, keys=("id",), partition_by=partition_by,
                     options=FrozenMap(options))
    return write_table(table, spec, conn, write_id=write_id, con=duck)


def _rows(conn: Any, duck: Any, fmt: str, path: str) -> list[tuple[Any, ...]]:
    table = read_table(ReadSpec(conn.name, fmt, path=path), conn, duck)
    return sorted(zip(*(table.column(c).to_pylist() for c in ("id", "name", "region")), strict=True))


@pytest.mark.parametrize("fmt, partition_by", [
    pytest.param(fmt, layout, id=f"{fmt}-{'partitioned' if layout else 'flat'}")
    for fmt in FORMATS for layout in ((), ("region",)) if not (layout and fmt == "excel")])
@pytest.mark.parametrize("mode, expected, rows_written", [
    pytest.param("overwrite", [(3, "C", "eu"), (4, "d", "us")], 2, id="overwrite"),
    pytest.param("append", [(1, "a", "eu"), (2, "b", "us"), (3, "C", "eu"), (3, "c", "eu"), (4, "d", "us")], 2,
                 id="append"),
    pytest.param("upsert", [(1, "a", "eu"), (2, "b", "us"), (3, "C", "eu"), (4, "d", "us")], 2, id="upsert"),
    pytest.param("append_once", [(1, "a", "eu"), (2, "b", "us"), (3, "c", "eu"), (4, "d", "us")], 1,
                 id="append_once"),
])
def test_round_trip(lake: Any, duck: Any, fmt: str, partition_by: tuple[str, ...], mode: str,
                    expected: list[tuple[Any, ...]], rows_written: int) -> None:
    path = f"out/data.{fmt}"
    first = _write(lake, duck, FIRST, fmt, path, "overwrite", "run1", partition_by=partition_by)
    assert first.rows_written == 3
    assert first.location == str(Path(lake.resolve(path)))
    assert os.path.isabs(first.location)
    outcome = _write(lake, duck, SECOND, fmt, path, mode, "run2", partition_by=partition_by)
    assert (outcome.rows_written, outcome.mode, outcome.skipped) == (rows_written, mode, False)
    assert _rows(lake, duck, fmt, path) == expected
    leftovers = [p.name for p in Path(lake.resolve("out")).rglob(".*")]
    assert leftovers == []


@pytest.mark.parametrize("mode", ["upsert", "append_once", "append"])
def test_modes_on_a_new_dataset_write_everything(lake: Any, duck: Any, mode: str) -> None:
    outcome = _write(lake, duck, FIRST, "parquet", "new.parquet", mode, "w")
    assert outcome.rows_written == 3
    assert len(_rows(lake, duck, "parquet", "new.parquet")) == 3


def test_layouts(lake: Any, duck: Any) -> None:
    target = Path(lake.resolve("sales.csv"))
    _write(lake, duck, FIRST, "csv", "sales.csv", "overwrite", "w1")
    assert target.is_file()
    _write(lake, duck, SECOND, "csv", "sales.csv", "append", "run 2/x")
    parts = sorted(p.name for p in target.iterdir())
    assert parts[0] == "part-00000-base.csv"
    assert parts[1].startswith("part-run_2_x-") and parts[1].endswith(".csv")
    _write(lake, duck, SECOND, "csv", "sales.csv", "append", "w3")
    assert len(list(target.iterdir())) == 3
    _write(lake, duck, FIRST, "csv", "sales.csv", "overwrite", "w4")
    assert [p.name for p in target.iterdir()] == ["part-w4.csv"]
    assert len(_rows(lake, duck, "csv", "sales.csv")) == 3


def test_partitioned_parquet_is_hive_style(lake: Any, duck: Any) -> None:
    _write(lake, duck, FIRST, "parquet", "p", "overwrite", "w1", partition_by=("region",))
    _write(lake, duck, SECOND, "parquet", "p", "append", "w2", partition_by=("region",))
    root = Path(lake.resolve("p"))
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet")) == [
        "region=eu/part-w1_0.parquet", "region=eu/part-w2_0.parquet",
        "region=us/part-w1_0.parquet", "region=us/part-w2_0.parquet"]


def test_csv_and_json_write_options(lake: Any, duck: Any) -> None:
    _write(lake, duck, FIRST, "csv", "x.csv", "overwrite", "w", delimiter="|", header=True)
    assert Path(lake.resolve("x.csv")).read_text().splitlines()[0] == "id|name|region"
    _write(lake, duck, SECOND, "csv", "x.csv", "upsert", "w2", delimiter="|", header=True)
    assert len(_rows(lake, duck, "csv", "x.csv")) == 4
    _write(lake, duck, FIRST, "json", "x.json", "overwrite", "w")
    assert Path(lake.resolve("x.json")).read_text().splitlines()[0] == '{"id":1,"name":"a","region":"eu"}'


def test_types_survive_parquet(lake: Any, duck: Any) -> None:
    table = pa.table({"ts": pa.array([dt.datetime(2024, 1, 1, 12)], pa.timestamp("us")),
                      "day": pa.array([dt.date(2024, 1, 1)]), "amount": pa.array([1.25]),
                      "flag": pa.array([True]), "n": pa.array([None], pa.int32())})
    spec = WriteSpec("lake", "parquet", path="t.parquet")
    write_table(table, spec, lake, write_id="w", con=duck)
    back = read_table(ReadSpec("lake", "parquet", path="t.parquet"), lake, duck)
    assert back.schema == table.schema
    assert back.to_pylist() == table.to_pylist()


def test_errors_say_what_and_how(lake: Any, duck: Any) -> None:
    with pytest.raises(ExecutionError, match=r"key column\(s\) \['nope'\] are not in the data"):
        write_table(FIRST, WriteSpec("lake", "csv", path="a.csv", mode="upsert", keys=("nope",)), lake,
                    write_id="w", con=duck)
    with pytest.raises(ExecutionError, match="mode 'upsert' needs key columns"):
        write_table(FIRST, WriteSpec("lake", "csv", path="a.csv", mode="upsert"), lake, write_id="w", con=duck)
    with pytest.raises(ExecutionError, match="partition_by is not supported for excel"):
        _write(lake, duck, FIRST, "excel", "a.xlsx", "overwrite", "w", partition_by=("region",))
    with pytest.raises(ExecutionError, match="unknown write mode 'mrege'"):
        _write(lake, duck, FIRST, "csv", "a.csv", "mrege", "w")
    with pytest.raises(ExecutionError, match=r"unknown parquet write option\(s\) 'header'; accepted parquet"):
        _write(lake, duck, FIRST, "parquet", "a.parquet", "overwrite", "w", header=True)
    with pytest.raises(ExecutionError, match="outside the connection's base_path"):
        _write(lake, duck, FIRST, "csv", "../escape.csv", "overwrite", "w")


def test_keys_from_options(lake: Any, duck: Any) -> None:
    spec = WriteSpec("lake", "parquet", path="k.parquet", mode="upsert", options=FrozenMap({"merge_keys": ["id"]}))
    write_table(FIRST, spec, lake, write_id="1", con=duck)
    write_table(SECOND, spec, lake, write_id="2", con=duck)
    assert len(_rows(lake, duck, "parquet", "k.parquet")) == 4


# --- crash recovery of the directory swap --------------------------------------------------------


def test_interrupted_swap_reads_old_data_then_recovers(lake: Any, duck: Any) -> None:
    _write(lake, duck, FIRST, "parquet", "p", "overwrite", "w1", partition_by=("region",))
    target = Path(lake.resolve("p"))
    stage = target.parent / ".p.tmp-deadbeef"
    stage.mkdir()
    (stage / "garbage.parquet").write_bytes(b"half")
    os.rename(target, atomic.old_path(target))  # killed between step 1 and step 2 of the swap
    assert len(_rows(lake, duck, "parquet", "p")) == 3  # readers see the previous complete data
    assert not target.exists()
    _write(lake, duck, SECOND, "parquet", "p", "append", "w2", partition_by=("region",))
    assert len(_rows(lake, duck, "parquet", "p")) == 5
    assert sorted(p.name for p in target.parent.iterdir()) == ["p"]


def test_interrupted_cleanup_is_finished(lake: Any, duck: Any) -> None:
    _write(lake, duck, FIRST, "csv", "c", "append", "w1")
    target = Path(lake.resolve("c"))
    old = atomic.old_path(target)
    old.mkdir()
    (old / "part-zzz.csv").write_text("id,name,region\n9,z,eu\n")  # killed while deleting the old copy
    assert len(_rows(lake, duck, "csv", "c")) == 3
    atomic.recover(target)
    assert not old.exists()


def test_a_failed_write_leaves_the_old_data_and_no_stage(lake: Any, duck: Any) -> None:
    _write(lake, duck, FIRST, "parquet", "f.parquet", "overwrite", "w1")
    bad = pa.table({"id": [1], "obj": pa.array([b"x"], pa.binary())})
    with pytest.raises(ExecutionError):
        _write(lake, duck, bad, "parquet", "f.parquet", "upsert", "w2", compression="no-such-codec")
    assert len(_rows(lake, duck, "parquet", "f.parquet")) == 3
    assert sorted(p.name for p in Path(lake.resolve(".")).iterdir()) == ["f.parquet"]
