"""Find a project by its name, as odibi_de_v2 callers name it: ``run_project("Sales Analytics", "qat")``.

A string that is an existing path is used as it is. Otherwise the project files under the working directory
(up to three folders deep: ``odibi.yaml``/``project.yaml``/``*.odibi.yaml`` and odibi_de_v2 ``manifest.json``)
are read for their name (``project:`` / ``project_name``) and the one whose name matches (ignoring case,
spaces and ``_``/``-``) is used. Standard library and PyYAML only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from .._suggest import did_you_mean
from ..errors import OdibiError

PROJECT_FILES = ("odibi.yaml", "odibi.yml", "project.yaml", "project.yml", "manifest.json")
MAX_DEPTH = 3
_SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".odibi"}


def project_path(path: Any, root: str | Path | None = None) -> Any:
    """``path`` unchanged when it is not a bare name or names an existing file or folder; else the project
    file whose project name is ``path``."""
    if not isinstance(path, str) or Path(path).exists() or re.search(r"[/\\]|\.(ya?ml|json)$", path):
        return path
    base = Path(root) if root is not None else Path.cwd()
    found = {name: file for file in _project_files(base) if (name := _name_of(file))}
    wanted = _key(path)
    matches = [file for name, file in found.items() if _key(name) == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise OdibiError(f"project name '{path}' matches several projects: "
                         f"{', '.join(str(m) for m in matches)}; pass the project file's path instead")
    hint = did_you_mean(path, list(found))
    where = f"the projects under {base} are: {', '.join(sorted(found))}" if found else f"none under {base}"
    raise OdibiError(f"'{path}' is neither a project file or folder nor the name of a project; "
                     f"{hint + ' ' if hint else ''}{where}")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def _project_files(base: Path, depth: int = 0) -> list[Path]:
    files = [base / f for f in PROJECT_FILES if (base / f).is_file()]
    files += sorted(base.glob("*.odibi.yaml"))
    if depth < MAX_DEPTH:
        for child in sorted(base.iterdir()) if base.is_dir() else ():
            if child.is_dir() and child.name not in _SKIP and not child.name.startswith("."):
                files += _project_files(child, depth + 1)
    return files


def _name_of(file: Path) -> str | None:
    """The project name a file declares, or None when it is not a project file (or cannot be read)."""
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    name = data.get("project_name") if file.suffix == ".json" else data.get("project")
    return str(name) if isinstance(name, str | int) and str(name).strip() else None
