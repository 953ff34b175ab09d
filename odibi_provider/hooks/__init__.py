"""Lifecycle hooks: events, the HookManager, and log sinks (JSON Lines, SQL table).

Names load lazily: ``import odibi_provider.hooks`` imports no SQLAlchemy, pandas, duckdb or pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY_IMPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'odibi_provider.hooks' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_IMPORTS])
