"""A small chain of SQL nodes (``p.n0`` reads a one-row CSV, each next node adds 1), written per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

STORY_OFF = "{enabled: false}"


def chain(make_project: Callable[..., Path], nodes: int, *, story: str = STORY_OFF, write_last: bool = False) -> Path:
    """The project file of a ``nodes``-node chain; ``write_last`` writes the last node to ``lake/last.parquet``."""
    lines = ["      - {name: n0, read: {connection: raw, format: csv, path: one.csv}}"]
    lines += [f"      - {{name: n{i}, depends_on: [n{i - 1}], transform: {{steps: ['SELECT x + 1 AS x FROM df']}}}}"
              for i in range(1, nodes)]
    if write_last:
        lines[-1] = lines[-1][:-1] + ", write: {connection: lake, format: parquet, path: last.parquet}}"
    text = "\n".join(["project: chain", "connections:", "  raw: {type: local, base_path: data}",
                      "  lake: {type: local, base_path: lake}", f"story: {story}",
                      "system: {connection: lake, path: _system}", "pipelines:", "  - pipeline: p", "    nodes:",
                      *lines])
    return make_project(text + "\n", files={"data/one.csv": "x\n1\n"})
