"""Separate processes writing one file dataset at the same time: they serialise, and no rows are lost.

Each child process waits for a start signal, then writes its own keys to the shared target several times
in a row (each encode takes 30 ms, as a larger dataset's would); the other child does the same at the
same moment. Both must exit 0 and every row either wrote
must be in the dataset (overwrite: exactly one writer's complete last frame).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec
from tests.cloud.conftest import azure_lake, azurite, moto_s3, s3_lake  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 12

CHILD = r"""
import sys, time
from pathlib import Path
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines.embedded import file_writer
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import WriteSpec

encode = file_writer.encode
def slow_encode(*args, **kwargs):  # a write that takes a while, as a large dataset's does
    time.sleep(0.03)
    return encode(*args, **kwargs)
file_writer.encode = slow_encode

base, fmt, mode, layout, worker, rounds, go = sys.argv[1:8]
worker, rounds = int(worker), int(rounds)
spec = WriteSpec("lake", fmt, path=f"shared.{fmt}", mode=mode, keys=("id",),
                 partition_by=("region",) if layout == "hive" else ())
conn, duck = LocalConnection("lake", base, base), duckdb.connect().cursor()
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.001)
for i in range(rounds):
    ids = [worker * 1000 + i * 10 + j for j in range(3)]
    table = pa.table({"id": ids, "region": ["eu", "us", "eu"], "writer": [worker] * 3})
    write_table(table, spec, conn, write_id=f"run-{worker}-{i}:node", con=duck)
"""


def _start(base: Path, fmt: str, mode: str, layout: str, worker: int, go: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(base), fmt, mode, layout, str(worker),
                              str(ROUNDS), str(go)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.communicate()[1]
    return child


def _race(base: Path, fmt: str, mode: str, layout: str) -> pa.Table:
    """Run two writer processes at once; the dataset they leave."""
    go = base / "go"
    children = [_start(base, fmt, mode, layout, worker, go) for worker in (1, 2)]
    go.touch()
    failures = []
    for child in children:
        _out, err = child.communicate(timeout=300)
        if child.returncode != 0:
            failures.append(err[-1500:])
    assert failures == [], f"a concurrent writer failed: {failures}"
    conn = LocalConnection("lake", base, base)
    import duckdb

    return read_table(ReadSpec("lake", fmt, path=f"shared.{fmt}"), conn, duckdb.connect().cursor())


def _expected(worker: int, rounds: range) -> set[int]:
    return {worker * 1000 + i * 10 + j for i in rounds for j in range(3)}


@pytest.mark.parametrize("mode", ["upsert", "append_once"])
def test_concurrent_parquet_writers_lose_no_rows(tmp_path: Path, mode: str) -> None:
    """Two processes upserting the same parquet file: every row of both arrives (the old code lost one
    process's rows in most tries, or failed the later writer because its stage was deleted)."""
    table = _race(tmp_path, "parquet", mode, "file")
    ids = table.column("id").to_pylist()
    assert sorted(ids) == sorted(_expected(1, range(ROUNDS)) | _expected(2, range(ROUNDS)))


@pytest.mark.slow
@pytest.mark.parametrize("fmt, layout, mode", [
    *(pytest.param(fmt, layout, "upsert", id=f"upsert-{fmt}-{layout}") for fmt in ("csv", "json", "parquet")
      for layout in ("file", "hive") if (fmt, layout) != ("parquet", "file")),
    # appends to a folder of parts already wrote one part per write id; appends to hive folders swap the folder
    *(pytest.param(fmt, "hive", "append", id=f"append-{fmt}-hive") for fmt in ("csv", "json", "parquet")),
])
def test_concurrent_writers_of_every_format_and_layout(tmp_path: Path, fmt: str, layout: str, mode: str) -> None:
    table = _race(tmp_path, fmt, mode, layout)
    assert sorted(table.column("id").to_pylist()) == sorted(_expected(1, range(ROUNDS)) | _expected(2, range(ROUNDS)))


def test_concurrent_overwrites_of_hive_folders_leave_one_writers_complete_frame(tmp_path: Path) -> None:
    table = _race(tmp_path, "parquet", "overwrite", "hive")
    (writer,) = set(table.column("writer").to_pylist())
    assert sorted(table.column("id").to_pylist()) == sorted(_expected(writer, range(ROUNDS - 1, ROUNDS)))


HOLDER = r"""
import sys, time
from pathlib import Path
from odibi_provider.engines.locks import dataset_lock
with dataset_lock(Path(sys.argv[1]), write_id="other-run:load"):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(target: Path, seconds: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(target), str(seconds)], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "holding", child.communicate()[1]
    return child


def _write(base: Path, rows: list[int], write_id: str) -> Any:
    import duckdb

    conn = LocalConnection("lake", base, base)
    spec = WriteSpec("lake", "parquet", path="t.parquet", mode="upsert", options=FrozenMap({"merge_keys": ["id"]}))
    return write_table(pa.table({"id": rows}), spec, conn, write_id=write_id, con=duckdb.connect().cursor())


def test_a_writer_waits_for_the_holder_then_writes(tmp_path: Path) -> None:
    _write(tmp_path, [1], "first:n")
    holder = _holder(tmp_path / "t.parquet", 1.0)
    try:
        started = time.monotonic()
        _write(tmp_path, [2], "second:n")
        waited = time.monotonic() - started
    finally:
        holder.communicate(timeout=30)
    assert waited > 0.5, "the writer did not wait for the other writer"
    assert sorted(pq.read_table(tmp_path / "t.parquet").column("id").to_pylist()) == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"], "no lock file or stage left behind"


def test_a_writer_that_waits_too_long_fails_naming_the_target_and_the_holder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_WRITE_LOCK_TIMEOUT", "0.3")
    holder = _holder(tmp_path / "t.parquet", 30)
    try:
        with pytest.raises(ExecutionError, match=r"cannot write '.*t\.parquet' .*another writer holds it "
                                                 r"\(write id other-run:load, pid \d+"):
            _write(tmp_path, [2], "second:n")
    finally:
        holder.kill()
        holder.communicate(timeout=30)


def test_a_killed_writer_never_leaves_the_lock_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_WRITE_LOCK_TIMEOUT", "5")
    holder = _holder(tmp_path / "t.parquet", 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.communicate(timeout=30)
    started = time.monotonic()
    _write(tmp_path, [7], "after-crash:n")
    assert time.monotonic() - started < 2
    assert pq.read_table(tmp_path / "t.parquet").column("id").to_pylist() == [7]


# --- object stores: no lock file, so a conflicting merge is detected instead of losing rows ----------------


@pytest.mark.parametrize("store", ["s3", "azure"])
def test_an_object_store_upsert_that_another_writer_overtook_fails_instead_of_losing_rows(
        request: pytest.FixtureRequest, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    from odibi_provider.engines.embedded import remote_writer

    lake = request.getfixturevalue(f"{store}_lake")
    duck = duckdb.connect().cursor()
    spec = WriteSpec(lake.name, "parquet", path="t.parquet", mode="upsert", options=FrozenMap({"merge_keys": ["id"]}))
    write_table(pa.table({"id": [1], "v": ["first"]}), spec, lake, write_id="r1:n", con=duck)
    merge = remote_writer.merge_existing

    def overtaken(*args: Any, **kwargs: Any) -> Any:  # another run commits while this one merges
        monkeypatch.setattr(remote_writer, "merge_existing", merge)
        write_table(pa.table({"id": [2], "v": ["other"]}), spec, lake, write_id="other:n", con=duck)
        return merge(*args, **kwargs)

    monkeypatch.setattr(remote_writer, "merge_existing", overtaken)
    with pytest.raises(ExecutionError, match=r"'.*t\.parquet' changed while this upsert \(r3:n\) was merging it: "
                                             r"another writer committed in between"):
        write_table(pa.table({"id": [3], "v": ["mine"]}), spec, lake, write_id="r3:n", con=duck)
    rows = read_table(ReadSpec(lake.name, "parquet", path="t.parquet"), lake, duck)
    assert sorted(rows.column("id").to_pylist()) == [1, 2], "the other writer's row is kept"
