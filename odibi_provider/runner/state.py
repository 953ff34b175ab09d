"""The last run of a project, for ``resume=True``: which nodes finished, under which run id."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .results import RunResult


def _file(system_root: Path) -> Path:
    return system_root / "runs" / "last.json"


def save_last_run(system_root: Path, result: RunResult, selected: list[str]) -> None:
    path = _file(system_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"run_id": result.run_id, "project": result.project, "selected": selected,
            "status": {r.node_id: r.status for r in result.results}}
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        json.dump(data, handle, indent=1)
    os.replace(handle.name, path)


def load_last_run(system_root: Path) -> dict[str, Any] | None:
    try:
        return json.loads(_file(system_root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
