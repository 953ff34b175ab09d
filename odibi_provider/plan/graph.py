"""Ordering and cycle reporting for the Plan's node graph (``graphlib``, linear time)."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping


def topological_levels(upstream: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Nodes grouped by level: each level depends only on earlier ones. Raises graphlib.CycleError."""
    sorter = graphlib.TopologicalSorter(upstream)
    sorter.prepare()
    levels = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        levels.append(ready)
        sorter.done(*ready)
    return levels


def describe_cycle(cycle: list[str]) -> str:
    """``a.x -> a.y -> b.z -> a.x``, in data-flow order, starting from the smallest node id.

    graphlib reports a cycle as ``[n1, n2, ..., n1]`` where each node feeds the next.
    """
    ring = cycle[:-1] if len(cycle) > 1 and cycle[0] == cycle[-1] else list(cycle)
    start = ring.index(min(ring))
    ordered = ring[start:] + ring[:start]
    return " -> ".join([*ordered, ordered[0]])
