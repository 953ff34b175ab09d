"""Find a project's YAML file (standard library only, so cached-Plan loads stay light)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Problem, ProjectError

PROJECT_FILE_NAMES = ("odibi.yaml", "odibi.yml", "project.yaml", "project.yml")


def find_project_file(path: str | os.PathLike[str]) -> Path:
    """The project YAML for ``path``: the file itself, or the conventional file name in a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        for name in PROJECT_FILE_NAMES:
            if (path / name).is_file():
                return (path / name).resolve()
        raise ProjectError([Problem(f"no project file in folder {path}", file=str(path), code="file",
                                    hint=f"create one of {', '.join(PROJECT_FILE_NAMES)} or pass the YAML file")])
    if not path.exists():
        raise ProjectError([Problem("project file not found", file=str(path), code="file",
                                    hint="check the path, or run 'odibi-provider init DIR' to scaffold one")])
    return path.resolve()
