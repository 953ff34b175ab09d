"""``odibi-provider run`` SIGKILLed at random moments, during the first run and during ``--resume``, then
resumed until done: every appended row arrives exactly once, on every format, through an intermediate too.

Each round is one logical run over a fresh range of ids: a new run is started and killed, a ``--resume`` is
started and killed, and ``--resume`` runs until the CLI exits 0. A kill that lands before the new run recorded
its start leaves the previous (finished) run as the last one; the round then starts its run again.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from odibi_provider.plan import compile_project
from odibi_provider.runner import RunContext, run_node
from tests.fixtures.killed_runs import HEADER, child_env

ROUNDS = 2
ROWS = 20_000
FORMATS = ("a", "b", "y", "d", "s")
PROJECT = "project: killed" + HEADER + """
pipelines:
  - pipeline: p
    nodes:
      - {name: a, read: {connection: raw, format: csv, path: src.csv},
         write: {connection: out, format: parquet, path: a.parquet, mode: append}}
      - {name: b, read: {connection: raw, format: csv, path: src.csv},
         write: {connection: out, format: csv, path: b.csv, mode: append}}
      - {name: x, read: {connection: raw, format: csv, path: src.csv}, transform: {steps: [{function: pause}]}}
      - {name: y, depends_on: [x], write: {connection: out, format: json, path: y.json, mode: append}}
      - {name: d, depends_on: [a], inputs: {a: $p.a}, transform: {steps: ["SELECT n FROM a WHERE n >= LOW"]},
         write: {connection: out, format: delta, path: d_delta, mode: append}}
      - {name: s, read: {connection: raw, format: csv, path: src.csv},
         write: {connection: db, format: sql, table: s, mode: append}}
  - pipeline: q
    nodes:
      - {name: a, inputs: {t: $p.a}, transform: {steps: [COUNT]}}
      - {name: b, inputs: {t: $p.b}, transform: {steps: [COUNT]}}
      - {name: y, inputs: {t: $p.y}, transform: {steps: [COUNT]}}
      - {name: d, inputs: {t: $p.d}, transform: {steps: [COUNT]}}
      - {name: s, inputs: {t: $p.s}, transform: {steps: [COUNT]}}
""".replace("COUNT", '"SELECT count(*) AS n_rows, count(DISTINCT n) AS n_ids FROM t"')
TRANSFORMS = """
import time
from odibi_provider import transform


@transform
def pause(df):
    time.sleep(0.15)
    return df
"""


def _cli(project: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "odibi_provider", "run", str(project), "--select", "p",
                             "--workers", "2", "--no-color", *extra], cwd=project.parent, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(project: Path, resume: bool, kill_at: float | None) -> tuple[int, float, str]:
    """Start the CLI; SIGKILL it ``kill_at`` seconds after it starts running nodes (its first output line).
    Returns the exit code, the seconds it ran nodes, and its output."""
    process = _cli(project, *(["--resume"] if resume else []))
    assert process.stdout is not None
    first = process.stdout.readline()
    started = time.monotonic()
    if kill_at is not None:
        time.sleep(kill_at)
        process.send_signal(signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    return process.returncode, time.monotonic() - started, first + out + err


def _last_run_id(project: Path) -> str | None:
    last = project.parent / "out" / "_system" / "runs" / "last.json"
    return json.loads(last.read_text())["run_id"] if last.exists() else None


def _set_round(project: Path, round_: int) -> None:
    low = round_ * ROWS
    (project.parent / "data" / "src.csv").write_text("n\n" + "\n".join(map(str, range(low, low + ROWS))) + "\n")
    text = PROJECT.replace("LOW", str(low))
    project.write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_runs_and_resumes_killed_at_random_leave_every_row_exactly_once(make_project) -> None:
    project = make_project(PROJECT.replace("LOW", "0"), files={"transforms.py": TRANSFORMS})
    (project.parent / "data").mkdir()
    rng = random.Random("odibi-resume-crash")
    _set_round(project, 0)
    code, window, output = _run(project, resume=False, kill_at=None)
    assert code == 0, output[-3000:]
    killed_resumes = 0
    for round_ in range(1, ROUNDS + 1):
        _set_round(project, round_)
        previous = _last_run_id(project)
        resume, kills = False, 0
        while True:
            kill_at = rng.uniform(0.0, (0.6 if resume else 1.1) * window) if kills < 2 else None
            code, _, output = _run(project, resume, kill_at)
            if code == -signal.SIGKILL:
                kills += 1
                killed_resumes += resume
            else:
                assert code == 0, output[-3000:]
            if _last_run_id(project) == previous:  # killed before it recorded its start: start it again
                resume = False
                continue
            if code == 0:
                break
            resume = True
    plan = compile_project(project)
    expected = ROWS * (ROUNDS + 1)
    for name in FORMATS:
        result = run_node(plan, f"q.{name}", RunContext(plan=plan, story_enabled=False))
        assert result.status == "success", result.error
        assert result.sample == ({"n_rows": expected, "n_ids": expected},), f"p.{name}"
    assert killed_resumes, "no kill landed during a --resume"
