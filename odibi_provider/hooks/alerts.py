"""The project's ``alerts:`` as hook sinks: Slack, Teams (Power Automate workflows) and webhooks.

Odibi's alert events map onto the lifecycle events every host emits (``run_node`` emits the node events
in-process, under Dagster and under Airflow alike):

===================== ===========================================================================
``on_start``          ``pipeline_start`` (in-process runs)
``on_success``        ``pipeline_complete`` (in-process runs)
``on_failure``        ``node_error``: the failing node, its error and story
``on_quarantine``     ``node_complete`` of a node that quarantined rows (count, target, failed tests)
``on_gate_block``     ``gate_blocked`` (pass rate, required rate, failures)
``on_threshold_breach`` ``node_warning`` (``details.kind`` says which limit: empty overwrite, rejects...)
===================== ===========================================================================

Throttling is Odibi's: per alert, pipeline and event, at most one alert per ``throttle_minutes`` and
``max_per_hour`` per clock hour, kept per process; a delivery that fails frees its slot. Delivery is one
POST with a short timeout; an alert that cannot be delivered is logged (URL masked) and never fails a node.
Standard library only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .alert_payloads import BUILDERS, AlertFacts
from .events import Event, EventType
from .manager import HookManager
from .sinks import EventSink

logger = logging.getLogger(__name__)

ALERT_EVENTS: Mapping[str, tuple[EventType, ...]] = {
    "on_start": (EventType.PIPELINE_START,),
    "on_success": (EventType.PIPELINE_COMPLETE,),
    "on_failure": (EventType.NODE_ERROR,),
    "on_quarantine": (EventType.NODE_COMPLETE,),
    "on_gate_block": (EventType.GATE_BLOCKED,),
    "on_threshold_breach": (EventType.NODE_WARNING,),
}
DELIVERY_TIMEOUT_S = 5.0

Resolver = Callable[[str], str]


def alert_event(event: Event) -> str | None:
    """The Odibi alert event ``event`` is, if any (a ``node_complete`` only when it quarantined rows)."""
    if event.type is EventType.NODE_COMPLETE:
        return "on_quarantine" if event.details.get("quarantined_rows") else None
    for name, types in ALERT_EVENTS.items():
        if event.type in types:
            return name
    return None


def masked_url(url: str) -> str:
    """``scheme://host/***``: webhook URLs carry their secret in the path or query."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return "***"
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}/***" if (parts.path.strip("/") or parts.query) else f"{parts.scheme}://{host}"


class Throttle:
    """Odibi's throttle: a key sends at most once per ``minutes`` and ``per_hour`` times per clock hour."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def acquire(self, key: str, minutes: float, per_hour: int) -> bool:
        """Take a slot for ``key``; False when the alert is throttled."""
        now = time.time()
        hour = f"{key}@{int(now // 3600)}"
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < minutes * 60:
                return False
            if self._counts.get(hour, 0) >= per_hour:
                return False
            self._last[key] = now
            self._counts[hour] = self._counts.get(hour, 0) + 1
            return True

    def release(self, key: str) -> None:
        """Give back the slot of a delivery that failed, so the next alert may go out."""
        hour = f"{key}@{int(time.time() // 3600)}"
        with self._lock:
            self._last.pop(key, None)
            if self._counts.get(hour):
                self._counts[hour] -= 1

    def clear(self) -> None:
        with self._lock:
            self._last.clear()
            self._counts.clear()


THROTTLE = Throttle()  # per process, shared by every run (Dagster runs assets of many runs in one process)


class AlertSink(EventSink):
    """One ``alerts:`` item: builds the payload for its ``type`` and POSTs it to ``url``.

    ``config`` is the alert as compiled into the Plan; ``resolve`` turns ``${env:...}`` references of the
    URL into the value (raising KeyError for an unset variable).
    """

    def __init__(self, config: Mapping[str, Any], *, project: str, resolve: Resolver, index: int = 0,
                 owner: str | None = None, timeout: float = DELIVERY_TIMEOUT_S) -> None:
        self.type = str(config["type"])
        self.url = str(config["url"])
        self.on_events = tuple(config.get("on_events") or ("on_failure",))
        self.metadata: Mapping[str, Any] = dict(config.get("metadata") or {})
        self.project, self.owner, self.index, self.timeout = project, owner, index, timeout
        self._resolve = resolve

    def attach_to(self, hooks: HookManager) -> HookManager:
        """Subscribe to the hook events its ``on_events`` map onto."""
        types = sorted({t.value for name in self.on_events for t in ALERT_EVENTS[name]})
        return self.attach(hooks, types)

    def write(self, event: Event) -> None:
        name = alert_event(event)
        if name is None or name not in self.on_events:
            return
        facts = alert_facts(name, event, self.project, self.owner)
        key = f"{self.project}#{self.index}:{facts.pipeline}:{name}"
        if not THROTTLE.acquire(key, float(self.metadata.get("throttle_minutes", 15)),
                                int(self.metadata.get("max_per_hour", 10))):
            logger.info("alert %s for %s throttled (throttle_minutes / max_per_hour)", name, facts.pipeline)
            return
        if not self._deliver(BUILDERS[self.type](facts, self.metadata), name):
            THROTTLE.release(key)

    def _deliver(self, payload: Mapping[str, Any], name: str) -> bool:
        try:
            url = self._resolve(self.url)
        except KeyError as exc:
            logger.warning("alert %s (%s, alerts[%d]) not sent: environment variable %s is not set; set it where "
                           "the pipeline runs", name, self.type, self.index, exc.args[0])
            return False
        shown = masked_url(url)
        request = urllib.request.Request(url, data=json.dumps(payload, default=str).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
            return True
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code} {exc.reason}"
        except (OSError, ValueError) as exc:  # refused, timeout, DNS, a malformed URL
            reason = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        logger.warning("alert %s (%s, alerts[%d]) to %s not delivered: %s; the run continues",
                       name, self.type, self.index, shown, reason.replace(url, shown))
        return False

    def __repr__(self) -> str:
        return f"AlertSink({self.type}, alerts[{self.index}])"


def alert_facts(name: str, event: Event, project: str, owner: str | None) -> AlertFacts:
    """The facts an alert reports for ``event`` (Odibi's event-specific details included)."""
    d = event.details
    details: dict[str, Any] = {}
    if name == "on_quarantine":
        details = {"rows_quarantined": d.get("quarantined_rows", 0), "quarantine_path": d.get("quarantine_target"),
                   "failed_tests": list(d.get("failed_tests") or []), "node_name": event.node}
    elif name == "on_gate_block":
        checked, passing = d.get("rows_checked"), d.get("rows_passing")
        failed = checked - passing if isinstance(checked, int) and isinstance(passing, int) else None
        details = {"pass_rate": d.get("pass_rate"), "required_rate": d.get("require_pass_rate"),
                   "failed_rows": failed, "failure_reasons": list(d.get("reasons") or [])}
    elif name == "on_threshold_breach":
        details = {"metric": d.get("kind"), "actual_value": event.rows, "node_name": event.node}
    stamp = datetime.fromtimestamp(event.timestamp, UTC).isoformat(timespec="seconds")
    return AlertFacts(event=name, project=project, pipeline=event.pipeline or "-", timestamp=stamp,
                      node=event.node, run_id=event.run_id, owner=owner, duration_s=event.duration_s,
                      rows=event.rows, error=event.error, story_path=d.get("story_path"), details=details)
