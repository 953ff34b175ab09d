"""Delta Lake through the Spark API (Sail has Delta; this JVM session has no delta-spark jars)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec
from tests.engines.spark.helpers import frame, rows

ORDERS = {"id": [1, 2, None], "amount": [5.0, None, 7.5]}


def put(engine: Any, lake: Any, data: Any, mode: str, write_id: str, **spec: Any) -> Any:
    keys = ("id",) if mode in ("upsert", "append_once") else ()
    return engine.write(data, WriteSpec("lake", "delta", path="t", mode=mode, keys=keys, **spec), lake,
                        write_id=write_id)


def table(engine: Any, lake: Any, **options: Any) -> list[tuple[Any, ...]]:
    return rows(engine, engine.read(ReadSpec("lake", "delta", path="t", options=FrozenMap(options)), lake))


def test_modes_are_one_commit_each_and_appends_are_idempotent(sail_engine: Any, lake: Any) -> None:
    engine = sail_engine
    first = put(engine, lake, frame(engine, ORDERS), "overwrite", "r1:n")
    assert (first.rows_written, first.details["version"]) == (3, 0)
    assert put(engine, lake, frame(engine, {"id": [3], "amount": [1.0]}), "append", "r2:n").rows_written == 1
    retry = put(engine, lake, frame(engine, {"id": [3], "amount": [1.0]}), "append", "r2:n")
    assert retry.skipped and retry.rows_written == 0 and retry.details["version"] == 1
    update = frame(engine, {"id": [2, None, 4], "amount": [9.0, 0.5, 4.0]})
    upsert = put(engine, lake, update, "upsert", "r3:n")
    assert (upsert.rows_written, upsert.details["version"]) == (3, 2)
    assert table(engine, lake) == [(1, 5.0), (2, 9.0), (3, 1.0), (4, 4.0), (None, 0.5)], "null keys match null keys"
    once = put(engine, lake, frame(engine, {"id": [4, 5], "amount": [0.0, 5.0]}), "append_once", "r4:n")
    assert once.rows_written == 1 and table(engine, lake)[4] == (5, 5.0)
    assert table(engine, lake, versionAsOf=0) == [(1, 5.0), (2, None), (None, 7.5)]


def test_commits_carry_the_write_id(sail_engine: Any, lake: Any) -> None:
    put(sail_engine, lake, frame(sail_engine, ORDERS), "overwrite", "run-7:silver.orders")
    log = (lake.base_path / "t" / "_delta_log" / f"{0:020d}.json").read_text().splitlines()
    info = next(json.loads(line)["commitInfo"] for line in log if "commitInfo" in line)
    assert json.loads(info["userMetadata"]) == {"odibi.write_id": "run-7:silver.orders", "odibi.mode": "overwrite"}


def test_overwrite_replaces_the_schema_and_partitions(sail_engine: Any, lake: Any) -> None:
    put(sail_engine, lake, frame(sail_engine, ORDERS), "overwrite", "a")
    put(sail_engine, lake, frame(sail_engine, {"k": ["x", "y"], "v": [1, 2]}), "overwrite", "b",
        partition_by=("k",))
    assert table(sail_engine, lake) == [(1, "x"), (2, "y")] or table(sail_engine, lake) == [("x", 1), ("y", 2)]
    assert (lake.base_path / "t" / "k=x").is_dir()


def test_reading_a_missing_table_fails_clearly(sail_engine: Any, lake: Any) -> None:
    with pytest.raises(ExecutionError, match="does not exist|no delta table"):
        table(sail_engine, lake)


def test_a_session_without_delta_says_how_to_get_it(jvm_engine: Any, lake: Any) -> None:
    with pytest.raises(ExecutionError, match=r"Delta Lake is not available in this Spark session(.|\n)*delta_conf"):
        put(jvm_engine, lake, frame(jvm_engine, ORDERS), "overwrite", "a")
