"""What a run story's header says, read back from the rendered page and the run summary."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def header(run_dir: Path) -> str:
    """The page header's text, tags stripped and spaces collapsed."""
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    found = re.search(r"<header>.*?</header>", page, re.S)
    assert found, f"{run_dir / 'index.html'} has no header"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def summary(run_dir: Path) -> dict[str, Any]:
    """The run summary's status and counts."""
    data = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return {k: data[k] for k in ("status", "completed", "failed", "skipped")} | {"nodes": len(data["nodes"])}


def attempts(run_dir: Path, node_id: str) -> str:
    """The "Attempts" fact of a node's section."""
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    section = page[page.index(f'id="node-{node_id.replace(".", "_")}"'):]
    found = re.search(r"<b>Attempts:</b> ([^<]*)", section)
    assert found, f"no attempts shown for {node_id}"
    return found.group(1)
