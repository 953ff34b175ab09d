"""``resume``: a run killed midway is finished under its own run id with exactly the nodes that did not
complete, without duplicate rows; a run with nothing left is refused with a message and no state changes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from odibi_provider.cli.main import main
from odibi_provider.plan import compile_project
from odibi_provider.runner import RunContext, run_node, run_project
from odibi_provider.runner.state import NothingToResume
from tests.fixtures.killed_runs import HEADER, child_env

PROJECT = "project: resumable" + HEADER + """
pipelines:
  - pipeline: p
    nodes:
      - name: load
        read: {connection: raw, format: csv, path: numbers.csv}
        write: {connection: out, format: parquet, path: loaded.parquet, mode: append}
      - name: crash
        depends_on: [load]
        transform: {steps: [{function: maybe_crash}]}
        write: {connection: out, format: csv, path: crashed.csv, mode: append}
      - name: after
        depends_on: [crash]
        write: {connection: out, format: json, path: after.json, mode: append}
  - pipeline: a
    nodes:
      - {name: csv, read: {connection: raw, format: csv, path: numbers.csv},
         write: {connection: out, format: csv, path: a.csv, mode: append}}
      - {name: json, read: {connection: raw, format: csv, path: numbers.csv},
         write: {connection: out, format: json, path: a.json, mode: append}}
      - {name: parquet, read: {connection: raw, format: csv, path: numbers.csv},
         write: {connection: out, format: parquet, path: a.parquet, mode: append}}
      - {name: delta, read: {connection: raw, format: csv, path: numbers.csv},
         write: {connection: out, format: delta, path: a_delta, mode: append}}
      - {name: sql, read: {connection: raw, format: csv, path: numbers.csv},
         write: {connection: db, format: sql, table: a, mode: append}}
  - pipeline: q
    nodes:
      - {name: load, inputs: {x: $p.load}}
      - {name: crash, inputs: {x: $p.crash}}
      - {name: after, inputs: {x: $p.after}}
      - {name: csv, inputs: {x: $a.csv}}
      - {name: json, inputs: {x: $a.json}}
      - {name: parquet, inputs: {x: $a.parquet}}
      - {name: delta, inputs: {x: $a.delta}}
      - {name: sql, inputs: {x: $a.sql}}
"""
TRANSFORMS = """
import os
import signal
from pathlib import Path
from odibi_provider import transform

FLAG = Path(__file__).parent / "crash.flag"


@transform
def maybe_crash(df):
    how = FLAG.read_text().strip() if FLAG.exists() else ""
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "fail":
        raise RuntimeError("boom")
    return df
"""
# Runs a project in a child process and prints the run id; KILL_AFTER nodes SIGKILL the process from their
# node_complete hook once all of them got there: their writes committed, their completion not yet recorded.
CHILD = r"""
import os, signal, sys, threading
from odibi_provider import run_project
from odibi_provider.hooks import HookManager

project, select, kill_after = sys.argv[1], sys.argv[2], [n for n in sys.argv[3].split(",") if n]
hooks = HookManager()
hooks.on("pipeline_start")(lambda event: print(event.run_id, flush=True))
barrier = threading.Barrier(max(1, len(kill_after)))


def kill(event):
    if event.node in kill_after:
        barrier.wait(timeout=60)
        os.kill(os.getpid(), signal.SIGKILL)


hooks.on("node_complete")(kill)
hooks.on("node_error")(lambda event: (print(event.node, event.error, file=sys.stderr, flush=True), os._exit(3)))
run_project(project, select=select, hooks=hooks, workers=5)
"""
NUMBERS = "n\n1\n2\n3\n"


@pytest.fixture
def project(make_project) -> Path:
    return make_project(PROJECT, files={"transforms.py": TRANSFORMS, "data/numbers.csv": NUMBERS})


def _killed_run(project: Path, select: str, kill_after: str = "") -> str:
    """Run ``select`` in a child process that gets SIGKILLed; the killed run's id."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(project), select, kill_after], cwd=project.parent,
                          env=child_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    return done.stdout.split()[0]


def _rows(project: Path, *datasets: str) -> list[int | None]:
    """Rows in each written dataset, read back as a separate process would (the ``q`` readers)."""
    plan = compile_project(project)
    return [run_node(plan, f"q.{name}", RunContext(plan=plan, story_enabled=False)).rows_out for name in datasets]


def _state(project: Path) -> dict[str, bytes]:
    runs = project.parent / "out" / "_system" / "runs"
    return {str(p.relative_to(runs)): p.read_bytes() for p in sorted(runs.rglob("*")) if p.is_file()}


def test_a_killed_run_is_finished_by_resume_under_its_run_id(project: Path) -> None:
    (project.parent / "crash.flag").write_text("kill")
    killed = _killed_run(project, "p")
    assert _rows(project, "load") == [3], "load completed before the kill"

    (project.parent / "crash.flag").unlink()
    resumed = run_project(project, resume=True)
    assert resumed.run_id == killed
    assert [r.node_id for r in resumed.results] == ["p.crash", "p.after"], "load completed: not run again"
    assert resumed.ok
    assert _rows(project, "load", "crash", "after") == [3, 3, 3]


def test_nodes_whose_writes_committed_before_the_kill_append_nothing_twice(project: Path) -> None:
    nodes = ["a.csv", "a.json", "a.parquet", "a.delta", "a.sql"]
    killed = _killed_run(project, "a", kill_after=",".join(nodes))
    assert _rows(project, "csv", "json", "parquet", "delta", "sql") == [3] * 5, "every write committed"

    resumed = run_project(project, resume=True, workers=5)
    assert resumed.run_id == killed and resumed.ok
    assert sorted(r.node_id for r in resumed.results) == sorted(nodes), "their completion was never recorded"
    assert _rows(project, "csv", "json", "parquet", "delta", "sql") == [3] * 5


def test_resuming_a_finished_run_is_refused_and_changes_no_state(project: Path) -> None:
    first = run_project(project, select="p")
    assert first.ok
    state = _state(project)
    for _ in range(2):
        with pytest.raises(NothingToResume, match=f"run {first.run_id} of project 'resumable' finished: "
                                                  "nothing to resume; run without --resume to start a new run"):
            run_project(project, resume=True)
        assert _state(project) == state


def test_a_second_resume_never_reruns_the_finished_run(project: Path) -> None:
    (project.parent / "crash.flag").write_text("fail")
    first = run_project(project, select="p")
    assert first.failed == ("p.crash",) and first.skipped == ("p.after",)
    (project.parent / "crash.flag").unlink()
    resumed = run_project(project, resume=True)
    assert [r.node_id for r in resumed.results] == ["p.crash", "p.after"], "only the run's own selection"
    assert resumed.run_id == first.run_id and resumed.ok

    (project.parent / "data" / "numbers.csv").write_text(NUMBERS + "4\n5\n")
    with pytest.raises(NothingToResume, match="nothing to resume"):
        run_project(project, resume=True)
    assert _rows(project, "load", "crash", "after") == [3, 3, 3], "the finished run's rows are untouched"
    assert run_project(project, select="p").ok
    assert _rows(project, "load") == [3 + 5], "a new run appends the source's rows again"


def test_a_resume_killed_again_is_resumed_again(project: Path) -> None:
    (project.parent / "crash.flag").write_text("fail")
    first = run_project(project, select="p")
    (project.parent / "crash.flag").write_text("kill")
    code = "import sys; from odibi_provider import run_project; run_project(sys.argv[1], resume=True)"
    killed = subprocess.run([sys.executable, "-c", code, str(project)], env=child_env(), capture_output=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL
    (project.parent / "crash.flag").unlink()
    again = run_project(project, resume=True)
    assert again.run_id == first.run_id and [r.node_id for r in again.results] == ["p.crash", "p.after"]
    assert _rows(project, "load", "crash", "after") == [3, 3, 3]


def test_cli_resume_says_what_it_resumes_and_that_a_finished_run_has_nothing_left(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(project), "--resume", "--no-color"]) == 1
    assert "nothing to resume: project 'resumable' has no previous run" in capsys.readouterr().err

    (project.parent / "crash.flag").write_text("fail")
    assert main(["run", str(project), "--select", "p", "--no-color"]) == 1
    run_id = _state(project)["last.json"].decode().split('"run_id": "')[1].split('"')[0]
    (project.parent / "crash.flag").unlink()
    capsys.readouterr()
    assert main(["run", str(project), "--resume", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert f"resuming run {run_id} of resumable: 2 of 3 nodes left" in out
    assert f"OK  run {run_id}: 2 completed" in out

    state = _state(project)
    assert main(["run", str(project), "--resume", "--no-color"]) == 0, "nothing left is not a failure"
    assert (f"run {run_id} of project 'resumable' finished: nothing to resume; run without --resume to start a "
            "new run") in capsys.readouterr().out
    assert _state(project) == state
