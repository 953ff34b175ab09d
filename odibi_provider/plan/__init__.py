"""The Plan: frozen, serialisable data compiled from a project; what every host runs."""

from .cache import compile_project, load_plan
from .compiler import compile_plan
from .model import DatasetSpec, Edge, PipelineSpec, Plan, PlanNode

__all__ = ["DatasetSpec", "Edge", "PipelineSpec", "Plan", "PlanNode", "compile_plan", "compile_project",
           "load_plan"]
