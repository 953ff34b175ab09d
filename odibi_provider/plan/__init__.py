"""The Plan: frozen, serialisable data compiled from a project; what every host runs.

Names load lazily: reading a cached Plan imports neither pydantic nor the compiler.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "compile_project": "cache", "load_plan": "cache", "compile_plan": "compiler",
    "DatasetSpec": "model", "Edge": "model", "PipelineSpec": "model", "Plan": "model", "PlanNode": "model",
}
__all__ = ["DatasetSpec", "Edge", "PipelineSpec", "Plan", "PlanNode", "compile_plan", "compile_project",
           "load_plan"]

if TYPE_CHECKING:  # pragma: no cover
    from .cache import compile_project, load_plan
    from .compiler import compile_plan
    from .model import DatasetSpec, Edge, PipelineSpec, Plan, PlanNode


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
