"""HookManager: call user functions on lifecycle events, filtered and ordered. Standard library only.

Observability never fails the work: a hook that raises (anything but ``KeyboardInterrupt``, ``SystemExit``
included) is logged with its traceback and the run goes on; a hook that does not return within the timeout
(``HookManager(timeout=...)``, else ``$ODIBI_HOOK_TIMEOUT``, else 10 s) is abandoned on its daemon thread, logged,
and skipped until that call ends. Registration swaps in a new immutable tuple under a lock, so ``emit`` from
many threads needs no lock.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from .events import Event, EventType, event_type
from .seed_events import SEED_EVENTS, UNSUPPORTED_SEED_EVENTS, seed_event_from_payload, seed_payload

logger = logging.getLogger(__name__)

ALL = "*"
TIMEOUT_ENV = "ODIBI_HOOK_TIMEOUT"
DEFAULT_TIMEOUT_S = 10.0
FILTER_KEYS = ("project", "pipeline", "layer", "node", "engine", "tags")
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
    seed_style: bool = False  # registered under an odibi_de_v2 event name: called with the seed's payload dict

    def invoke(self, event: Event) -> Any:
        """Call the hook with what it expects: the Event, or the odibi_de_v2 payload dict."""
        if self.seed_style:
            return self.fn(seed_payload(event))  # type: ignore[arg-type]  # a seed hook takes the payload dict
        return self.fn(event)

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
    names = _names(event)
    if not names:
        raise ValueError("no event given; name one of the event types or '*' for all")
    if ALL in names:
        return None
    seed = [SEED_EVENTS[n] for n in names if n in SEED_EVENTS]
    return frozenset([t.value for s in seed for t in s.types]
                     + [event_type(n).value for n in names if n not in SEED_EVENTS])


def _names(event: EventSpec) -> list[str]:
    return [str(n) for n in ([event] if isinstance(event, str) else list(event))]


def _seed_style(event: EventSpec) -> bool:
    """True when ``event`` names odibi_de_v2 events (``transform_success``...); mixing both kinds is refused."""
    names = _names(event)
    for name in names:
        if name in UNSUPPORTED_SEED_EVENTS:
            raise ValueError(f"odibi_de_v2 event '{name}' has no equivalent: {UNSUPPORTED_SEED_EVENTS[name]}")
    seed = [n for n in names if n in SEED_EVENTS]
    if seed and len(seed) != len(names):
        raise ValueError(f"register odibi_de_v2 events ({', '.join(seed)}) and provider events separately: a "
                         "hook receives the seed's payload dict for the former and an Event for the latter")
    return bool(seed)


def _seed_layer_filter(event: EventSpec) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``bronze_start``/``bronze_end`` imply their layer (any case, e.g. ``Bronze`` or ``bronze_1``)."""
    layers = {layer for n in _names(event) if n in SEED_EVENTS and (layer := SEED_EVENTS[n].layer)}
    globs = tuple("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in layer) + "*"
                  for layer in sorted(layers))
    return (("layer", globs),) if globs else ()


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


def _check_timeout(value: float) -> float:
    if math.isnan(value) or value <= 0:
        raise ValueError(f"a hook timeout must be a positive number of seconds (math.inf: no limit), got {value}")
    return float(value)


@functools.lru_cache(maxsize=8)
def _env_timeout(raw: str | None) -> float:
    """``$ODIBI_HOOK_TIMEOUT`` in seconds; a bad value is logged once and the default used."""
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT_S
    try:
        return _check_timeout(float(raw))
    except ValueError:
        logger.warning("%s=%r is not a positive number of seconds; hooks time out after %ss (set e.g. %s=30)",
                       TIMEOUT_ENV, raw, DEFAULT_TIMEOUT_S, TIMEOUT_ENV)
        return DEFAULT_TIMEOUT_S


def _where(event: Event) -> str:
    return f"{event.type.value} (node {event.node or '-'}, run {event.run_id or '-'})"


class HookManager:
    """Register hooks per event type (or ``"*"``) with filters and priorities; emit events to them.

    ``timeout`` bounds each hook call in seconds (``math.inf``: no limit); unset, it is the first given
    manager's, else ``$ODIBI_HOOK_TIMEOUT`` (read when events are emitted), else 10 s.
    """

    def __init__(self, *managers: HookManager, timeout: float | None = None) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._hooks: tuple[Registration, ...] = ()
        self._abandoned: dict[int, threading.Thread] = {}  # registration seq -> a timed-out call still running
        inherited = managers[0]._timeout if managers else None
        self._timeout: float | None = _check_timeout(timeout) if timeout is not None else inherited
        for other in managers:
            self._add(other._hooks)

    @property
    def timeout(self) -> float:
        """Seconds a hook call may take before it is abandoned."""
        return self._timeout if self._timeout is not None else _env_timeout(os.environ.get(TIMEOUT_ENV))

    def on(self, event: EventSpec, *, filters: Filters | None = None, priority: int = 0) -> Callable[[F], F]:
        """Decorator form of :meth:`register`; returns the function unchanged."""

        def decorate(fn: F) -> F:
            self.register(event, fn, filters=filters, priority=priority)
            return fn

        return decorate

    def register(self, event: EventSpec, fn: Hook, *, filters: Filters | None = None, priority: int = 0) -> Hook:
        """Call ``fn(event)`` for ``event`` (a type, a list of types, or ``"*"``) when ``filters`` match.

        Filters key on project, pipeline, layer, node, engine and tags; a value is a name or a list (any-of)
        and may use ``*`` wildcards. Higher ``priority`` runs first; equal priorities keep registration order.
        odibi_de_v2 event names (``transform_success``, ``layer_end``...; ``hooks/seed_events.py``) are
        accepted too: such a hook is called with the seed's payload dict instead of the Event.
        """
        if not callable(fn):
            raise TypeError(f"hook for '{event}' must be callable, got {type(fn).__name__}")
        seed_style = _seed_style(event)
        hook = Registration(fn, _normalise_events(event), _normalise_filters(filters) + _seed_layer_filter(event),
                            int(priority), 0, seed_style)
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
        return HookManager(self, *others, timeout=self._timeout)

    def hooks(self, event: Event | None = None) -> tuple[Hook, ...]:
        """The hooks in call order: all of them, or those that ``event`` would reach."""
        return tuple(h.fn for h in self._hooks if event is None or h.wants(event))

    def emit(self, event: Event | str, payload: Mapping[str, Any] | None = None) -> None:
        """Call each matching hook in order, each within the timeout; a hook that raises or times out is
        logged and the next one runs. Only ``KeyboardInterrupt`` propagates. The odibi_de_v2 form
        ``emit("transform_success", {...})`` builds the Event from the seed's payload keys."""
        if isinstance(event, str):
            if event not in SEED_EVENTS:
                event = Event(event_type(event), **dict(payload or {}))
            else:
                event = seed_event_from_payload(event, payload or {})
        timeout = self.timeout
        for hook in self._hooks:
            try:
                wanted = hook.wants(event)
            except Exception:
                logger.exception("hook %s: its filters failed on %s", _describe(hook.fn), _where(event))
                continue
            if wanted and not self._still_running(hook, event):
                self._call(hook, event, timeout)

    def _still_running(self, hook: Registration, event: Event) -> bool:
        """True (and logged) while a call of ``hook`` abandoned after a timeout has not returned."""
        thread = self._abandoned.get(hook.seq)
        if thread is None:
            return False
        if not thread.is_alive():
            with self._lock:
                self._abandoned.pop(hook.seq, None)
            return False
        logger.warning("hook %s skipped on %s: an earlier call timed out and has not returned",
                       _describe(hook.fn), _where(event))
        return True

    def _call(self, hook: Registration, event: Event, timeout: float) -> None:
        """Run one hook on a daemon thread (with the caller's context variables) and wait up to ``timeout``."""
        raised: list[BaseException] = []
        context = contextvars.copy_context()

        def call() -> None:
            try:
                context.run(hook.invoke, event)
            except BaseException as exc:  # noqa: BLE001 - judged by the caller below
                raised.append(exc)

        thread = threading.Thread(target=call, name=f"odibi-hook:{_describe(hook.fn)}", daemon=True)
        thread.start()
        thread.join(None if math.isinf(timeout) else timeout)
        if thread.is_alive():
            with self._lock:
                self._abandoned[hook.seq] = thread
            logger.warning("hook %s did not return within %ss on %s; abandoned, the run continues "
                           "(set HookManager(timeout=...) or %s to allow longer)",
                           _describe(hook.fn), f"{timeout:g}", _where(event), TIMEOUT_ENV)
        elif raised:
            if isinstance(raised[0], KeyboardInterrupt):
                raise raised[0]
            logger.error("hook %s failed on %s; the run continues", _describe(hook.fn), _where(event),
                         exc_info=raised[0])

    def _add(self, hooks: Iterable[Registration]) -> None:
        with self._lock:
            added = [replace(h, seq=next(self._seq)) for h in hooks]
            merged = [*self._hooks, *added]
            merged.sort(key=lambda h: (-h.priority, h.seq))
            self._hooks = tuple(merged)

    def __repr__(self) -> str:
        return f"HookManager({len(self._hooks)} hook(s))"
