"""``odibi-provider init``: copy a small runnable project (bronze/silver/gold, data, transforms.py)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from ..errors import OdibiError


def scaffold_project(target: Path, *, force: bool = False, name: str | None = None) -> list[Path]:
    """Write the starter project into ``target``; refuse a non-empty folder unless ``force``."""
    if target.exists() and any(target.iterdir()) and not force:
        raise OdibiError(f"{target} is not empty; choose a new folder or pass --force to write into it")
    project_name = name or _project_name(target)
    template = resources.files(__package__) / "template"
    written: list[Path] = []
    with resources.as_file(template) as source:
        for path in sorted(Path(source).rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(source)
            destination = target / str(relative).replace("dot_", ".", 1)
            destination.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix in (".yaml", ".py", ".md"):
                destination.write_text(path.read_text(encoding="utf-8").replace("{{project}}", project_name),
                                       encoding="utf-8")
            else:
                shutil.copyfile(path, destination)
            written.append(destination)
    return written


def _project_name(target: Path) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in target.resolve().name)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"project_{cleaned}"
