"""Projects built in Python (the odibi MVP's way): a :class:`ProjectConfig`, one :class:`PipelineConfig` or a
list of them, written to ``<directory>/<project>.odibi.yaml`` (default: the working directory, so relative
paths mean what they meant to the caller) and then loaded like any project file. Writing a file is what lets
Dagster and Airflow, which run each node in a fresh process, load the same project; the file is rewritten
only when the project changed, so the cached Plan stays valid."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ProjectError
from ..manifest.models import PipelineConfig, ProjectConfig

SUFFIX = ".odibi.yaml"
# what hosts accept as a project: a path, or a project built in Python
ProjectSource = str | os.PathLike[str] | ProjectConfig | PipelineConfig | Sequence[PipelineConfig]


def as_project(obj: Any) -> ProjectConfig | None:
    """``obj`` as a ProjectConfig (a list of pipelines is named after the first), else None when it is not a
    project built in Python."""
    if isinstance(obj, ProjectConfig):
        return obj
    pipelines = [obj] if isinstance(obj, PipelineConfig) else obj if isinstance(obj, Sequence) and obj and \
        not isinstance(obj, str) and all(isinstance(p, PipelineConfig) for p in obj) else None
    if pipelines is None:
        return None
    return ProjectConfig(project=pipelines[0].pipeline, pipelines=list(pipelines))


def materialize(obj: Any, directory: str | os.PathLike[str] | None = None) -> Path | None:
    """The project file for a project built in Python (written when it changed), or None for anything else."""
    config = as_project(obj)
    if config is None:
        if isinstance(obj, (list, tuple)):
            raise ProjectError([Problem(f"a project in Python is a ProjectConfig or a list of PipelineConfig, got "
                                        f"{[type(p).__name__ for p in obj]}", code="python",
                                        hint="build each pipeline with PipelineConfig(pipeline=..., nodes=[...])")])
        return None
    target = Path(directory or Path.cwd()).resolve() / f"{config.project}{SUFFIX}"
    text = "# written by odibi_provider from a project built in Python; edits are overwritten\n" + yaml.safe_dump(
        config.model_dump(mode="json", by_alias=True, exclude_defaults=True), sort_keys=False, width=110)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        staged = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, target)
    return target


def project_file_for(path: ProjectSource) -> str | os.PathLike[str]:
    """``path`` unchanged, or the project file of a project built in Python (for hosts that pass a path on)."""
    if isinstance(path, (str, os.PathLike)):
        return path
    written = materialize(path)
    if written is None:
        raise ProjectError([Problem(f"not a project: {type(path).__name__}", code="python",
                                    hint="pass a project folder or file, or a ProjectConfig")])
    return written
