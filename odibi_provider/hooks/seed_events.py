"""The odibi_de_v2 event names and payloads, as aliases of the provider's events. Standard library only.

odibi_de_v2 hooks subscribe to ``transform_success``, ``layer_start`` ... and receive one dict (``payload``)
with ``function``, ``duration``, ``layer`` ... keys. A hook registered under one of those names gets exactly
that: it is called for the provider events the name stands for, with :func:`seed_payload` of the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .events import Event, EventType


@dataclass(frozen=True, slots=True)
class SeedEvent:
    """What one odibi_de_v2 event name means here: the provider events it covers, and for the layer-named
    events (``bronze_start``) the layer it implies."""

    types: tuple[EventType, ...]
    layer: str | None = None


SEED_EVENTS: Mapping[str, SeedEvent] = {
    "transform_start": SeedEvent((EventType.NODE_START,)),
    "transform_success": SeedEvent((EventType.NODE_COMPLETE,)),
    "transform_failure": SeedEvent((EventType.NODE_ERROR,)),
    "transform_retry": SeedEvent((EventType.NODE_RETRY,)),
    "layer_start": SeedEvent((EventType.PIPELINE_START,)),
    "layer_end": SeedEvent((EventType.PIPELINE_COMPLETE, EventType.PIPELINE_ERROR)),
    "bronze_start": SeedEvent((EventType.PIPELINE_START,), layer="bronze"),
    "bronze_end": SeedEvent((EventType.PIPELINE_COMPLETE, EventType.PIPELINE_ERROR), layer="bronze"),
    "orchestrator_run_start": SeedEvent((EventType.RUN_START,)),
    "orchestrator_run_end": SeedEvent((EventType.RUN_END,)),
    "configs_loaded": SeedEvent((EventType.RUN_START,)),  # the Plan is compiled before a run starts
    "logs_persisted": SeedEvent((EventType.RUN_END,)),  # log sinks write as events happen, so at run end
}

# Seed events with nothing to stand for here: refused with the reason instead of never firing.
UNSUPPORTED_SEED_EVENTS: Mapping[str, str] = {
    "caching_start": "caching is a node setting here (cache: true), not a run phase; subscribe to node_start "
                     "with filters on the cached nodes instead",
    "caching_end": "caching is a node setting here (cache: true), not a run phase; subscribe to node_complete "
                   "with filters on the cached nodes instead",
}

_STATUS = {
    EventType.NODE_START: "running", EventType.NODE_COMPLETE: "success", EventType.NODE_ERROR: "failed",
    EventType.NODE_RETRY: "retrying", EventType.PIPELINE_START: "running", EventType.PIPELINE_COMPLETE: "success",
    EventType.PIPELINE_ERROR: "failed", EventType.RUN_START: "running",
}


def seed_payload(event: Event) -> dict[str, Any]:
    """The odibi_de_v2 payload dict for ``event``: its keys (``transformation_id``, ``function``,
    ``duration``, ``project``, ``layer``, ``output_table``, ``status``, ``error``...) plus every provider field."""
    details = event.details
    payload: dict[str, Any] = event.to_dict()
    payload.update(
        event=event.type.value,
        transformation_id=event.node_name,
        function=details.get("function") or event.node_name,
        duration=event.duration_s,
        output_table=details.get("dataset"),
        status=details.get("status") or _STATUS.get(event.type, event.type.value),
    )
    return payload


def seed_event_from_payload(name: str, payload: Mapping[str, Any]) -> Event:
    """An Event from a seed-style ``emit(name, payload)``: known keys become fields, the rest details."""
    seed = SEED_EVENTS[name]
    fields = {"run_id", "project", "pipeline", "layer", "node", "engine", "duration_s", "rows", "attempt", "error"}
    values: dict[str, Any] = {k: payload[k] for k in fields if k in payload}
    if "duration" in payload and "duration_s" not in values:
        values["duration_s"] = payload["duration"]
    if seed.layer and "layer" not in values:
        values["layer"] = seed.layer
    details = {k: v for k, v in payload.items() if k not in fields and k != "duration"}
    return Event(seed.types[0], details=details, **values)
