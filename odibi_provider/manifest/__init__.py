"""The project model: load, validate and locate problems in odibi project YAML.

Names load lazily: finding a project file or reading a cached Plan does not import pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "LoadedProject": "loader", "load_project": "loader", "find_project_file": "project_file",
    "NodeConfig": "models", "PipelineConfig": "models", "ProjectConfig": "models",
}
__all__ = ["LoadedProject", "NodeConfig", "PipelineConfig", "ProjectConfig", "find_project_file", "load_project"]

if TYPE_CHECKING:  # pragma: no cover
    from .loader import LoadedProject, load_project
    from .models import NodeConfig, PipelineConfig, ProjectConfig
    from .project_file import find_project_file


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
