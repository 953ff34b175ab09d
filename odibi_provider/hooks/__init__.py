"""Lifecycle hooks: events, the HookManager, event sinks (JSON Lines, SQL table) and transformation log sinks
(file, SQL table, Delta).

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
    "BaseLogSink": "odibi_provider.hooks.log_sinks",
    "FileLogSink": "odibi_provider.hooks.log_sinks",
    "SQLTableLogSink": "odibi_provider.hooks.log_sinks",
    "DeltaLogSink": "odibi_provider.hooks.log_sinks",
    "SparkDeltaLogSink": "odibi_provider.hooks.log_sinks",
}

if TYPE_CHECKING:  # pragma: no cover
    from .events import Event, EventType
    from .log_sinks import BaseLogSink, DeltaLogSink, FileLogSink, SparkDeltaLogSink, SQLTableLogSink
    from .manager import HookManager
    from .sinks import EventSink, JsonLinesSink, SqlTableSink

__all__ = ["BaseLogSink", "DeltaLogSink", "Event", "EventSink", "EventType", "FileLogSink", "HookManager",
           "JsonLinesSink", "SQLTableLogSink", "SparkDeltaLogSink", "SqlTableSink"]


__getattr__, __dir__ = lazy_names("odibi_provider.hooks", _LAZY_IMPORTS, globals())
