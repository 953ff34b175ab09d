"""Odibi lifecycle events in the Dagster event log: a hook that writes each event to ``context.log``."""

from __future__ import annotations

from typing import Any

from ..hooks.events import Event
from ..hooks.manager import HookManager

LEVELS = {"node_error": "error", "pipeline_error": "error", "validation_failed": "warning", "node_retry": "warning",
          "node_skipped": "warning"}
LOG_PRIORITY = 1_000_000  # before user hooks, so the Dagster log has the event even if a hook is slow


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


def with_dagster_log(hooks: HookManager | None, logger: Any) -> HookManager:
    """A HookManager with the user's hooks plus one that logs every event to ``logger`` (``context.log``)."""
    manager = HookManager(hooks) if hooks is not None else HookManager()

    def to_dagster_log(event: Event) -> None:
        getattr(logger, LEVELS.get(event.type.value, "info"))(describe(event))

    manager.register("*", to_dagster_log, priority=LOG_PRIORITY)
    return manager
