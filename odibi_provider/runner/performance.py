"""The project's ``performance:`` settings that apply to a run (see ``manifest/models.py::PerformanceConfig``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

# nodes at once when nothing says: one per core up to 4 (each engine query already uses every core, so more
# nodes than cores only contend for them and add memory)
DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))


def duckdb_settings(performance: Mapping[str, Any]) -> dict[str, Any]:
    """``duckdb_threads``/``duckdb_memory_limit`` as the embedded engine's DuckDB settings."""
    return {key.removeprefix("duckdb_"): value for key, value in performance.items() if key.startswith("duckdb_")}


def workers(performance: Mapping[str, Any], given: int | None) -> int:
    """Nodes run at once: the caller's ``workers``, else ``performance.max_workers``, else one per core (<= 4)."""
    chosen = given if given is not None else performance.get("max_workers", DEFAULT_WORKERS)
    return max(1, int(chosen))
