"""Which pipelines of a run completed: one rule for in-process runs and the hosts' run-status sensors."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def pipeline_outcomes(selected: Iterable[tuple[str, K]], done: set[K]) -> dict[str, str]:
    """``pipeline_complete`` for each pipeline whose selected items (nodes, or a host's asset keys) all
    completed, else ``pipeline_error`` (a failed node, or one skipped because of a failure). ``selected``
    pairs each item with its pipeline."""
    by_pipeline: dict[str, set[K]] = {}
    for pipeline, item in selected:
        by_pipeline.setdefault(pipeline, set()).add(item)
    return {p: "pipeline_complete" if items <= done else "pipeline_error" for p, items in by_pipeline.items()}


def failed_pipelines(outcomes: Mapping[str, str]) -> list[str]:
    """The pipelines of ``outcomes`` that did not complete, in name order."""
    return sorted(p for p, kind in outcomes.items() if kind == "pipeline_error")
