"""Odibi lifecycle events in the Dagster event log.

A node's end is written to ``context.log`` by the asset body itself, on the step's thread
(:func:`log_node_end`); a one-node step writes no start line (Dagster's own STEP_START event is it, and each
line is an event Dagster stores). Every other event reaches the log through a hook (:func:`with_dagster_log`).
A hook call runs on a thread of its own (so a slow user hook cannot hang the node), which cost two thread
hand-offs per node for lines that need no such protection.
"""

from __future__ import annotations

from typing import Any

from ..hooks.events import EVENT_TYPES, Event
from ..hooks.manager import HookManager
from ..plan.model import PlanNode
from ..runner.results import NodeResult
from ..runner.views import node_event

LEVELS = {"node_error": "error", "pipeline_error": "error", "validation_failed": "warning", "node_retry": "warning",
          "node_skipped": "warning"}
LOG_PRIORITY = 1_000_000  # before user hooks, so the Dagster log has the event even if a hook is slow
LOGGED_BY_THE_STEP = frozenset({"node_start", "node_complete", "node_error"})  # start: Dagster's STEP_START


def describe(event: Event) -> str:
    """``odibi node_complete silver.orders: rows=47, 0.42s, attempt 1``."""
    parts = []
    if event.rows is not None:
        parts.append(f"rows={event.rows}")
    if event.duration_s is not None:
        parts.append(f"{event.duration_s:.2f}s")
    if event.attempt is not None:
        parts.append(f"attempt {event.attempt}")
    if event.error:
        parts.append(event.error)
    subject = event.node or event.pipeline or event.project
    return f"odibi {event.type.value} {subject}" + (f": {', '.join(parts)}" if parts else "")


def log_event(logger: Any, event: Event) -> None:
    """Write ``event`` to ``logger`` (``context.log``) at its level."""
    getattr(logger, LEVELS.get(event.type.value, "info"))(describe(event))


def log_node_end(logger: Any, result: NodeResult, node: PlanNode, *, run_id: str, project: str) -> None:
    """The ``node_complete`` / ``node_error`` line of ``result``, written on the caller's thread."""
    log_event(logger, node_event(result, node, run_id=run_id, project=project))


def with_dagster_log(hooks: HookManager | None, logger: Any, *,
                     logged_by_caller: frozenset[str] = frozenset()) -> HookManager:
    """A HookManager with the user's hooks plus one that logs every event to ``logger`` (``context.log``),
    except the event types in ``logged_by_caller``, which the caller logs itself."""
    manager = HookManager(hooks) if hooks is not None else HookManager()
    wanted = [name for name in EVENT_TYPES if name not in logged_by_caller]

    def to_dagster_log(event: Event) -> None:
        log_event(logger, event)

    manager.register(wanted, to_dagster_log, priority=LOG_PRIORITY)
    return manager
