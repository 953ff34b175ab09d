"""HookManager: call user functions on lifecycle events, filtered and ordered. Standard library only.

Observability never fails the work: a hook that raises is logged with its traceback and the run goes on.
Registration swaps in a new immutable tuple under a lock, so ``emit`` from many threads needs no lock.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from .events import Event, EventType, event_type

logger = logging.getLogger(__name__)

ALL = "*"
FILTER_KEYS = ("pipeline", "layer", "node", "engine", "tags")
_GLOB = frozenset("*?[")

Hook = Callable[[Event], Any]
F = TypeVar("F", bound=Hook)
EventSpec = str | EventType | Iterable[str | EventType]
Filters = Mapping[str, str | Iterable[str]]


@dataclass(frozen=True, slots=True)
class Registration:
    """One registered hook: the events it wants, its filters, priority and registration sequence."""

    fn: Hook
    events: frozenset[str] | None  # None: every event
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    priority: int
    seq: int

    def wants(self, event: Event) -> bool:
        """True when the event's type and fields pass this hook's filters."""
        if self.events is not None and event.type.value not in self.events:
            return False
        return all(_matches(key, values, event) for key, values in self.filters)


def _name_matches(pattern: str, value: str) -> bool:
    if _GLOB.isdisjoint(pattern):
        return pattern == value
    return fnmatchcase(value, pattern)


def _matches(key: str, patterns: tuple[str, ...], event: Event) -> bool:
    """Any-of match; ``node`` matches the node id or its name; ``tags`` match when any tag is listed."""
    if key == "tags":
        return any(_name_matches(p, tag) for p in patterns for tag in event.tags)
    value = getattr(event, key)
    if value is None:
        return False
    candidates = (value, value.split(".", 1)[-1]) if key == "node" else (value,)
    return any(_name_matches(p, v) for p in patterns for v in candidates)


def _normalise_events(event: EventSpec) -> frozenset[str] | None:
    names = [event] if isinstance(event, str) else list(event)
    if not names:
        raise ValueError("no event given; name one of the event types or '*' for all")
    if ALL in names:
        return None
    return frozenset(event_type(n).value for n in names)


def _normalise_filters(filters: Filters | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS:
            from .._suggest import did_you_mean

            hint = did_you_mean(key, FILTER_KEYS)
            raise ValueError(f"unknown hook filter '{key}'; {hint + ' ' if hint else ''}"
                             f"filters are: {', '.join(FILTER_KEYS)}")
        values = (value,) if isinstance(value, str) else tuple(value)
        out.append((key, tuple(str(v) for v in values)))
    return tuple(out)


def _describe(fn: Hook) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class HookManager:
    """Register hooks per event type (or ``"*"``) with filters and priorities; emit events to them."""

    def __init__(self, *managers: HookManager) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._hooks: tuple[Registration, ...] = ()
        for other in managers:
            self._add(other._hooks)

    def on(self, event: EventSpec, *, filters: Filters | None = None, priority: int = 0) -> Callable[[F], F]:
        """Decorator form of :meth:`register`; returns the function unchanged."""

        def decorate(fn: F) -> F:
            self.register(event, fn, filters=filters, priority=priority)
            return fn

        return decorate

    def register(self, event: EventSpec, fn: Hook, *, filters: Filters | None = None, priority: int = 0) -> Hook:
        """Call ``fn(event)`` for ``event`` (a type, a list of types, or ``"*"``) when ``filters`` match.

        Filters key on pipeline, layer, node, engine and tags; a value is a name or a list (any-of) and may
        use ``*`` wildcards. Higher ``priority`` runs first; equal priorities keep registration order.
        """
        if not callable(fn):
            raise TypeError(f"hook for '{event}' must be callable, got {type(fn).__name__}")
        hook = Registration(fn, _normalise_events(event), _normalise_filters(filters), int(priority), 0)
        self._add((hook,))
        return fn

    def unregister(self, fn: Hook) -> int:
        """Remove every registration of ``fn``; return how many were removed."""
        with self._lock:
            kept = tuple(h for h in self._hooks if h.fn is not fn)
            removed = len(self._hooks) - len(kept)
            self._hooks = kept
        return removed

    def merge(self, *others: HookManager) -> HookManager:
        """A new manager with this one's hooks, then each other's (priorities kept)."""
        return HookManager(self, *others)

    def hooks(self, event: Event | None = None) -> tuple[Hook, ...]:
        """The hooks in call order: all of them, or those that ``event`` would reach."""
        return tuple(h.fn for h in self._hooks if event is None or h.wants(event))

    def emit(self, event: Event) -> None:
        """Call each matching hook in order; a hook that raises is logged and the next one runs."""
        for hook in self._hooks:
            try:
                if hook.wants(event):
                    hook.fn(event)
            except Exception:
                logger.exception("hook %s failed on %s (node %s, run %s); the run continues",
                                  _describe(hook.fn), event.type.value, event.node or "-", event.run_id or "-")

    def _add(self, hooks: Iterable[Registration]) -> None:
        with self._lock:
            added = [Registration(h.fn, h.events, h.filters, h.priority, next(self._seq)) for h in hooks]
            merged = [*self._hooks, *added]
            merged.sort(key=lambda h: (-h.priority, h.seq))
            self._hooks = tuple(merged)

    def __repr__(self) -> str:
        return f"HookManager({len(self._hooks)} hook(s))"
