"""Lifecycle events: what happened, to which node, in which run. Standard library only.

An :class:`Event` is plain frozen data, so the same value reaches hooks in-process, under Dagster
and under Airflow, and serialises with :meth:`Event.to_dict` for log sinks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class EventType(StrEnum):
    """The lifecycle events a run emits; values are the names used in ``HookManager.on``."""

    PIPELINE_START = "pipeline_start"
    PIPELINE_COMPLETE = "pipeline_complete"
    PIPELINE_ERROR = "pipeline_error"
    NODE_START = "node_start"
    NODE_COMPLETE = "node_complete"
    NODE_ERROR = "node_error"
    NODE_SKIPPED = "node_skipped"
    NODE_RETRY = "node_retry"
    NODE_WARNING = "node_warning"  # the node ran but something needs a look (details["kind"] says what)
    VALIDATION_FAILED = "validation_failed"
    RUN_START = "run_start"  # an in-process run_project starts (hosts own their runs: not emitted there)
    RUN_END = "run_end"  # an in-process run_project ended; details["status"] says how
    GATE_BLOCKED = "gate_blocked"  # a quality gate stopped the node (details: pass_rate, thresholds, failures)


EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)


def event_type(name: str | EventType) -> EventType:
    """``name`` as an :class:`EventType`; a ValueError lists the valid names and the closest one."""
    try:
        return EventType(name)
    except ValueError:
        from .._suggest import did_you_mean

        hint = did_you_mean(str(name), EVENT_TYPES)
        raise ValueError(f"unknown event type '{name}'; {hint + ' ' if hint else ''}"
                         f"valid types are: {', '.join(EVENT_TYPES)} (or '*' for all)") from None


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Event:
    """One lifecycle event. ``node`` is the node id (``pipeline.node``) or None for pipeline events."""

    type: EventType
    _: KW_ONLY
    run_id: str = ""
    project: str = ""
    pipeline: str | None = None
    layer: str | None = None
    node: str | None = None
    engine: str | None = None
    tags: tuple[str, ...] = ()
    timestamp: float = field(default_factory=time.time)
    duration_s: float | None = None
    rows: int | None = None
    attempt: int | None = None
    error: str | None = None
    details: Mapping[str, Any] = field(default_factory=_empty, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", event_type(self.type))
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def node_name(self) -> str | None:
        """The node's name without its pipeline (``orders`` of ``silver.orders``); None for other events."""
        return self.node.split(".", 1)[-1] if self.node else None

    @classmethod
    def for_node(cls, type: str | EventType, node: Any, *, run_id: str, project: str, **values: Any) -> Event:
        """An event about a Plan node: pipeline, layer, node id, engine and tags come from ``node``."""
        facts = {"function": _function_of(node), "dataset": getattr(node, "dataset", None)}
        values["details"] = {**{k: v for k, v in facts.items() if v}, **values.get("details", {})}
        return cls(event_type(type), run_id=run_id, project=project, pipeline=node.pipeline, layer=node.layer,
                   node=node.id, engine=node.engine, tags=tuple(node.tags), **values)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``type`` as its name, ``tags`` as a list, ``details`` as a plain dict."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["type"] = self.type.value
        out["tags"] = list(self.tags)
        out["details"] = dict(self.details)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(cls)} - {"_"}
        values = {k: v for k, v in data.items() if k in names}
        return cls(values.pop("type"), **values)


def _function_of(node: Any) -> str | None:
    """The first registered function or built-in transformer a node calls (what a log names it by)."""
    for step in getattr(node, "steps", ()):
        if step.kind in ("function", "transformer") and step.name:
            return str(step.name)
    return None
