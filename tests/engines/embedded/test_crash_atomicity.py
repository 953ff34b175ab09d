"""A write killed with SIGKILL at a random moment leaves the old data or the new data, never a mix.

For each target a child process prepares a large dataset, waits for "go", and overwrites the
existing small dataset; the parent kills it at a random moment inside the measured write window
and then reads the target back: it must be exactly the old rows or exactly the new rows.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.model import ReadSpec, WriteSpec

REPO = Path(__file__).resolve().parents[3]
KILLS = 8
OLD_ROWS = 1_000
NEW_ROWS = {"csv": 1_200_000, "parquet": 2_000_000, "delta": 2_000_000, "sqlite": 40_000}

CHILD = r"""
import os, sys
import numpy as np
import pyarrow as pa
from odibi_provider.connections.local import LocalConnection
from odibi_provider.connections.sql import SqlDatabase
from odibi_provider.manifest.substitution import Environment
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.model import WriteSpec

target, base, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
import duckdb
if target == "delta":
    import deltalake
if target == "sqlite":
    import sqlalchemy
ids = np.arange(rows, dtype=np.int64)
table = pa.table({"id": ids, "gen": np.full(rows, 2, dtype=np.int64),
                  "payload": pa.array([str(i) for i in range(rows)], pa.string())})
print("ready", flush=True)
pid = 0
for line in sys.stdin:  # "go" forks a writer the test may SIGKILL; "reap" reports how it ended
    if line.strip() == "reap":
        print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        if target == "sqlite":
            conn, spec = SqlDatabase("db", "sqlite:///warehouse.db", None, Environment(process={}),
                                     project_dir=base), WriteSpec("db", "sql", table="facts")
        else:
            conn, spec = LocalConnection("lake", base, base), WriteSpec("lake", target, path="facts")
        write_table(table, spec, conn, write_id="new-run", con=duckdb.connect().cursor())
        os._exit(0)
    print(pid, flush=True)
"""


def _connection(target: str, base: Path) -> tuple[Any, str]:
    from odibi_provider.connections.local import LocalConnection
    from odibi_provider.connections.sql import SqlDatabase
    from odibi_provider.manifest.substitution import Environment

    if target == "sqlite":
        return SqlDatabase("db", "sqlite:///warehouse.db", None, Environment(process={}), project_dir=base), "sql"
    return LocalConnection("lake", base, base), target


def _spec(conn: Any, fmt: str, kind: type) -> Any:
    return kind(conn.name, fmt, table="facts") if fmt == "sql" else kind(conn.name, fmt, path="facts")


def _write_old(conn: Any, fmt: str, duck: Any) -> None:
    ids = pa.array(range(OLD_ROWS), pa.int64())
    old = pa.table({"id": ids, "gen": pa.array([1] * OLD_ROWS, pa.int64()), "payload": ids.cast(pa.string())})
    write_table(old, _spec(conn, fmt, WriteSpec), conn, write_id="old-run", con=duck)


def _state(conn: Any, fmt: str, duck: Any) -> str:
    """``old`` or ``new`` when the target holds exactly one complete version; fails otherwise."""
    table = read_table(_spec(conn, fmt, ReadSpec), conn, duck)
    gens = set(pc.unique(table.column("gen")).to_pylist())
    ids = table.column("id")
    rows = table.num_rows
    if gens == {1} and rows == OLD_ROWS and pc.sum(ids).as_py() == OLD_ROWS * (OLD_ROWS - 1) // 2:
        return "old"
    expected = NEW_ROWS["sqlite" if fmt == "sql" else fmt]
    if gens == {2} and rows == expected and pc.sum(ids).as_py() == expected * (expected - 1) // 2:
        return "new"
    pytest.fail(f"{fmt} target is partial: {rows} rows, generations {sorted(gens)}")


class WriterProcess:
    """A child that imports everything and builds the new data once, then forks one writer per ``go``."""

    def __init__(self, target: str, base: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, target, str(base), str(NEW_ROWS[target])], cwd=REPO, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if self._line() != "ready":
            self.close()
            pytest.fail(f"crash child did not start: {self.process.communicate()[1][-2000:]}")

    def start_write(self) -> tuple[int, float]:
        """Fork a writer; returns its pid (not reaped before :meth:`exit_code`) and when it started."""
        self._send("go")
        return int(self._line()), time.monotonic()

    def exit_code(self) -> int:
        """Wait for the current writer; its exit code (``-9`` when killed)."""
        self._send("reap")
        return int(self._line())

    def _send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["csv", "parquet", "delta", "sqlite"])
def test_a_killed_overwrite_leaves_old_or_new_data(tmp_path: Path, duck: Any, target: str) -> None:
    conn, fmt = _connection(target, tmp_path)
    rng = random.Random(f"odibi-crash-{target}")
    writer = WriterProcess(target, tmp_path)
    try:
        _write_old(conn, fmt, duck)
        _pid, started = writer.start_write()
        assert writer.exit_code() == 0, "the uninterrupted write failed"
        window = time.monotonic() - started
        assert _state(conn, fmt, duck) == "new"
        outcomes = []
        for _ in range(KILLS):
            _write_old(conn, fmt, duck)
            assert _state(conn, fmt, duck) == "old"
            pid, started = writer.start_write()
            time.sleep(max(0.0, rng.uniform(0.0, 1.1 * window) - (time.monotonic() - started)))
            os.kill(pid, signal.SIGKILL)
            outcomes.append((writer.exit_code(), _state(conn, fmt, duck)))
    finally:
        writer.close()
    assert any(code == -signal.SIGKILL for code, _ in outcomes), f"no kill landed inside the write: {outcomes}"
    _write_old(conn, fmt, duck)  # the next write recovers whatever the last kill left behind
    assert _state(conn, fmt, duck) == "old"
    if target != "sqlite":
        assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name or p.name.endswith(".old")] == []
    if hasattr(conn, "dispose"):
        conn.dispose()
