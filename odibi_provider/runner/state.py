"""The last run of a project, for ``resume=True``: which nodes finished, under which run id.

Kept in the system store (``{system}/runs/last.json``), local or on an object store, written all or nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..store import Store, as_store
from .results import RunResult


def _file(system: Store | Path) -> Store:
    return as_store(system).child("runs", "last.json")


def save_last_run(system: Store | Path, result: RunResult, selected: list[str]) -> None:
    data = {"run_id": result.run_id, "project": result.project, "selected": selected,
            "status": {r.node_id: r.status for r in result.results}}
    _file(system).write_json(data, indent=1)


def load_last_run(system: Store | Path) -> dict[str, Any] | None:
    try:
        data = _file(system).read_json()
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
