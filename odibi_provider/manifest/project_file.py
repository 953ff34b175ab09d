"""Find a project's YAML file (standard library only, so cached-Plan loads stay light)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Problem, ProjectError

PROJECT_FILE_NAMES = ("odibi.yaml", "odibi.yml", "project.yaml", "project.yml")


def find_project_file(path: str | os.PathLike[str]) -> Path:
    """The project YAML for ``path``: the file itself, or the conventional file name in a folder (a project
    built in Python, a ProjectConfig or a list of PipelineConfig, is written to a file first)."""
    if not isinstance(path, (str, os.PathLike)):
        from ..importers.python_config import materialize

        if (written := materialize(path)) is not None:
            return written
    path = Path(path).expanduser()
    if path.is_dir():
        for name in PROJECT_FILE_NAMES:
            if (path / name).is_file():
                return (path / name).resolve()
        from ..importers import folder_project  # a seed project (odibi_de_v2 manifest.json)

        if (seed := folder_project(path)) is not None:
            return seed.resolve()
        raise ProjectError([Problem(f"no project file in folder {path}", file=str(path), code="file",
                                    hint=f"create one of {', '.join(PROJECT_FILE_NAMES)} (or manifest.json) or "
                                         "pass the project file")])
    if not path.exists():
        raise ProjectError([Problem("project file not found", file=str(path), code="file",
                                    hint="check the path, or run 'odibi-provider init DIR' to scaffold one")])
    return path.resolve()
