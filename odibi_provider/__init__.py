"""odibi_provider: write medallion pipelines once, run them in-process, under Dagster or under Airflow.

Public names load lazily, so ``import odibi_provider`` stays light: no pandas, duckdb, pyspark,
dagster or airflow until something asks for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_names

__version__ = "0.1.0"

_LAZY_IMPORTS: dict[str, str] = {
    "transform": "odibi_provider.registry",
    "ProjectConfig": "odibi_provider.config",
    "PipelineConfig": "odibi_provider.config",
    "NodeConfig": "odibi_provider.config",
    "odibi_function": "odibi_provider.registry",
    "HookManager": "odibi_provider.hooks.manager",
    "FileLogSink": "odibi_provider.hooks.log_sinks",
    "SQLTableLogSink": "odibi_provider.hooks.log_sinks",
    "DeltaLogSink": "odibi_provider.hooks.log_sinks",
    "SparkDeltaLogSink": "odibi_provider.hooks.log_sinks",
    "Registry": "odibi_provider.registry",
    "REGISTRY": "odibi_provider.registry",
    "load_project": "odibi_provider.manifest.loader",
    "load_plan": "odibi_provider.plan.cache",
    "compile_project": "odibi_provider.plan.cache",
    "Plan": "odibi_provider.plan.model",
    "PlanNode": "odibi_provider.plan.model",
    "OdibiError": "odibi_provider.errors",
    "ProjectError": "odibi_provider.errors",
    "Problem": "odibi_provider.errors",
    "run_project": "odibi_provider.runner.project",
    "run_node": "odibi_provider.runner.node",
    "RunContext": "odibi_provider.runner.context",
    "NodeResult": "odibi_provider.runner.results",
    "RunResult": "odibi_provider.runner.results",
}

if TYPE_CHECKING:  # pragma: no cover
    from .config import NodeConfig, PipelineConfig, ProjectConfig
    from .errors import OdibiError, Problem, ProjectError
    from .hooks.log_sinks import DeltaLogSink, FileLogSink, SparkDeltaLogSink, SQLTableLogSink
    from .hooks.manager import HookManager
    from .manifest.loader import load_project
    from .plan.cache import compile_project, load_plan
    from .plan.model import Plan, PlanNode
    from .registry import REGISTRY, Registry, odibi_function, transform
    from .runner.context import RunContext
    from .runner.node import run_node
    from .runner.project import run_project
    from .runner.results import NodeResult, RunResult

__all__ = [
    "REGISTRY", "DeltaLogSink", "FileLogSink", "HookManager", "NodeConfig", "NodeResult", "OdibiError",
    "PipelineConfig", "Plan", "PlanNode", "Problem", "ProjectConfig", "ProjectError", "Registry", "RunContext",
    "RunResult", "SQLTableLogSink", "SparkDeltaLogSink", "compile_project", "load_plan", "load_project",
    "odibi_function", "run_node", "run_project", "transform",
]


__getattr__, __dir__ = lazy_names("odibi_provider", _LAZY_IMPORTS, globals())
