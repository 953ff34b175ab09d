"""What the in-process scheduler promises: at most ``workers`` nodes in flight; after a ``fail_fast``
failure nothing new starts (running nodes finish); ``fail_later`` skips only the failed node's descendants."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from odibi_provider.runner import run_project

SIBLINGS = """
project: siblings
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {enabled: false}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: explode
        on_error: ON_ERROR
        read: {connection: raw, format: csv, path: one.csv}
        transform: {steps: [{function: explode}]}
NODES
"""
SIBLING = """
      - name: s{i}
        read: {connection: raw, format: csv, path: one.csv}
        transform: {steps: [{function: pause}]}
        write: {connection: out, format: csv, path: s{i}.csv}
"""
CHILD = """
      - name: child
        depends_on: [explode]
        write: {connection: out, format: csv, path: child.csv}
"""
TRANSFORMS = """
import time
from odibi_provider import transform


@transform
def explode(df):
    raise RuntimeError("boom")


@transform
def pause(df):
    time.sleep(0.05)
    return df
"""


@pytest.fixture
def siblings(make_project):
    def build(on_error: str, count: int = 5) -> Path:
        nodes = "".join(SIBLING.replace("{i}", str(i)) for i in range(count)) + CHILD
        return make_project(SIBLINGS.replace("ON_ERROR", on_error).replace("NODES", nodes),
                            files={"transforms.py": TRANSFORMS, "data/one.csv": "x\n1\n"})

    return build


def test_fail_fast_starts_nothing_after_the_first_failure(siblings):
    project = siblings("fail_fast")
    started: list[str] = []
    run = run_project(project, workers=1, progress=lambda node, state, _: started.append(node) if state == "start"
                      else None)
    assert run.failed == ("p.explode",)
    assert started == ["p.explode"]
    assert set(run.skipped) == {f"p.s{i}" for i in range(5)} | {"p.child"}
    assert not list((project.parent / "out").glob("s*.csv"))
    assert "fail_fast" in run["p.s0"].skipped_reason


def test_fail_later_skips_only_descendants(siblings):
    project = siblings("fail_later")
    run = run_project(project, workers=1)
    assert run.failed == ("p.explode",)
    assert run.skipped == ("p.child",)
    assert sorted(run.completed) == [f"p.s{i}" for i in range(5)]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_at_most_workers_nodes_are_in_flight(siblings, workers):
    project = siblings("ignore", count=6)
    lock, in_flight, peak = threading.Lock(), [0], [0]

    def progress(node: str, state: str, _result: object) -> None:
        with lock:
            in_flight[0] += 1 if state == "start" else -1
            peak[0] = max(peak[0], in_flight[0])

    run = run_project(project, workers=workers, progress=progress)
    assert run.ok
    assert peak[0] == workers
