"""Stages left by killed writers are cleaned up by the next write; a live writer's stage is never touched.

A stage carries its writer's pid and host, so recovery deletes it only when that process is gone.
Readers ignore stages (hidden names) until then.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.model import ReadSpec, WriteSpec
from tests.engines.conftest import spark_engine

REPO = Path(__file__).resolve().parents[2]

KILLED_APPEND = r"""
import sys, time
import duckdb
import pyarrow as pa
from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines.embedded import file_writer
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.model import WriteSpec

encode = file_writer.encode
def encode_then_hang(*args, **kwargs):  # the part is staged; the writer is killed before it moves in
    rows = encode(*args, **kwargs)
    print("staged", flush=True)
    time.sleep(600)
    return rows
file_writer.encode = encode_then_hang
base = sys.argv[1]
write_table(pa.table({"id": [100, 101]}), WriteSpec("lake", "parquet", path="facts", mode="append"),
            LocalConnection("lake", base, base), write_id="killed-run:load", con=duckdb.connect().cursor())
"""

LIVE_STAGES = r"""
import sys, time
from pathlib import Path
from odibi_provider.engines.atomic import staged
target = Path(sys.argv[1])
with staged(target, directory=True) as beside, staged(target / "part-live.parquet") as inside:
    (beside / "half.parquet").write_bytes(b"half")
    inside.write_bytes(b"half")
    print(beside.name, inside.name, flush=True)
    time.sleep(600)
"""


def _child(script: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if not line:
        child.kill()
        pytest.fail(f"child did not start: {child.communicate(timeout=30)[1][-2000:]}")
    return child, line


def _append(base: Path, ids: list[int], write_id: str) -> None:
    import duckdb

    write_table(pa.table({"id": ids}), WriteSpec("lake", "parquet", path="facts", mode="append"),
                LocalConnection("lake", base, base), write_id=write_id, con=duckdb.connect().cursor())


def _ids(base: Path) -> list[int]:
    import duckdb

    table = read_table(ReadSpec("lake", "parquet", path="facts"), LocalConnection("lake", base, base),
                       duckdb.connect().cursor())
    return sorted(table.column("id").to_pylist())


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_killed_appends_stage_inside_the_dataset_is_removed_by_the_next_write(tmp_path: Path) -> None:
    _append(tmp_path, [1, 2], "r1:load")
    _append(tmp_path, [3], "r2:load")  # the dataset is now a folder of parts
    child, _ = _child(KILLED_APPEND, str(tmp_path))
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    dataset = tmp_path / "facts"
    assert len(_hidden(dataset)) == 1, "the killed append left its staged part inside the dataset"
    assert _ids(tmp_path) == [1, 2, 3], "readers ignore the stage"
    _append(tmp_path, [4], "r3:load")
    assert _hidden(dataset) == [], "the next write removed the dead writer's stage"
    assert _hidden(tmp_path) == []
    assert _ids(tmp_path) == [1, 2, 3, 4]


def test_a_live_writers_stages_are_never_touched(tmp_path: Path) -> None:
    _append(tmp_path, [1], "r1:load")
    _append(tmp_path, [2], "r2:load")
    dataset = tmp_path / "facts"
    child, names = _child(LIVE_STAGES, str(dataset))
    beside, inside = names.split()
    try:
        _append(tmp_path, [3], "r3:load")
        assert (tmp_path / beside).is_dir(), "recovery deleted a live writer's stage next to the dataset"
        assert (dataset / inside).is_file(), "recovery deleted a live writer's stage inside the dataset"
        assert _ids(tmp_path) == [1, 2, 3]
    finally:
        child.kill()
        child.communicate(timeout=30)
    _append(tmp_path, [4], "r4:load")  # its writer is gone now: the stages go
    assert _hidden(tmp_path) == [] and _hidden(dataset) == []
    assert _ids(tmp_path) == [1, 2, 3, 4]


def test_spark_writes_keep_a_live_writers_stage_and_remove_a_dead_ones(tmp_path: Path, sail_session: Any) -> None:
    """Both engines share the rule: the embedded writer's live stage survives a Spark write."""
    from odibi_provider.engines.spark.convert import from_arrow

    _append(tmp_path, [1], "r1:load")
    _append(tmp_path, [2], "r2:load")
    engine, conn = spark_engine(sail_session), LocalConnection("lake", tmp_path, tmp_path)

    def spark_append(ids: list[int], write_id: str) -> None:
        engine.write(from_arrow(sail_session, pa.table({"id": ids})),
                     WriteSpec("lake", "parquet", path="facts", mode="append"), conn, write_id=write_id)

    child, names = _child(LIVE_STAGES, str(tmp_path / "facts"))
    try:
        spark_append([3], "r3:load")
        assert (tmp_path / names.split()[0]).is_dir(), "a Spark write deleted a live writer's stage"
    finally:
        child.kill()
        child.communicate(timeout=30)
    spark_append([4], "r4:load")
    assert _hidden(tmp_path) == [] and _hidden(tmp_path / "facts") == []
    assert _ids(tmp_path) == [1, 2, 3, 4]


def test_a_stage_of_a_writer_on_another_host_is_kept(tmp_path: Path) -> None:
    """Its process cannot be checked from here, so it is not provably dead."""
    _append(tmp_path, [1], "r1:load")
    _append(tmp_path, [2], "r2:load")
    foreign = tmp_path / ".facts.tmp-0123456789ab-4242@another-host.example"
    foreign.mkdir()
    _append(tmp_path, [3], "r3:load")
    assert foreign.exists()
    assert _ids(tmp_path) == [1, 2, 3]
