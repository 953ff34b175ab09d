"""Lifecycle hooks: events, the HookManager, and log sinks (JSON Lines, SQL table).

Names load lazily: ``import odibi_provider.hooks`` imports no SQLAlchemy, pandas, duckdb or pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

_LAZY_IMPORTS: dict[str, str] = {
    "Event": "odibi_provider.hooks.events",
    "EventType": "odibi_provider.hooks.events",
    "HookManager": "odibi_provider.hooks.manager",
    "EventSink": "odibi_provider.hooks.sinks",
    "JsonLinesSink": "odibi_provider.hooks.sinks",
    "SqlTableSink": "odibi_provider.hooks.sinks",
}

if TYPE_CHECKING:  # pragma: no cover
    from .events import Event, EventType
    from .manager import HookManager
    from .sinks import EventSink, JsonLinesSink, SqlTableSink

__all__ = ["Event", "EventSink", "EventType", "HookManager", "JsonLinesSink", "SqlTableSink"]


__getattr__, __dir__ = lazy_names("odibi_provider.hooks", _LAZY_IMPORTS, globals())
