"""Run nodes and projects: ``run_node`` (one node, what hosts call) and ``run_project`` (in-process)."""

from .context import RunContext, new_run_id
from .node import run_node
from .project import run_project
from .results import NodeResult, RunResult
from .selection import select_nodes

__all__ = ["NodeResult", "RunContext", "RunResult", "new_run_id", "run_node", "run_project", "select_nodes"]
