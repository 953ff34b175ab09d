"""What an alert says: Odibi's Slack (Block Kit), Teams (Power Automate workflow card) and webhook (JSON)
payloads, built from one :class:`AlertFacts`. Standard library only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STATUS = {"on_start": "STARTED", "on_success": "SUCCESS", "on_failure": "FAILED", "on_quarantine": "QUARANTINE",
          "on_gate_block": "GATE_BLOCKED", "on_threshold_breach": "THRESHOLD_BREACH"}
ICON = {"on_start": "🚀", "on_success": "✅", "on_failure": "❌", "on_quarantine": "🔶", "on_gate_block": "🚫",
        "on_threshold_breach": "⚠️"}
COLOR = {"on_start": ("#0078D4", "Accent"), "on_success": ("#36a64f", "Good"), "on_failure": ("#FF0000", "Attention"),
         "on_quarantine": ("#FFA500", "Warning"), "on_gate_block": ("#FF0000", "Attention"),
         "on_threshold_breach": ("#FF6600", "Warning")}
FAILURE_EVENTS = ("on_failure", "on_gate_block", "on_quarantine")  # also @mention ``mention_on_failure``
DETAILS_KEY = {"on_quarantine": "quarantine_details", "on_gate_block": "gate_details",
               "on_threshold_breach": "threshold_details"}


@dataclass(frozen=True)
class AlertFacts:
    """Everything one alert reports: the Odibi event name, where it happened and the event's own details."""

    event: str
    project: str
    pipeline: str
    timestamp: str
    node: str | None = None
    run_id: str = ""
    owner: str | None = None
    duration_s: float | None = None
    rows: int | None = None
    error: str | None = None
    story_path: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)  # quarantine / gate / threshold details

    @property
    def status(self) -> str:
        return STATUS[self.event]

    @property
    def message(self) -> str:
        where = f"node {self.node}" if self.node else f"pipeline {self.pipeline}"
        if self.event == "on_quarantine":
            return f"{self.details.get('rows_quarantined', 0)} rows quarantined in {where}"
        return f"{where}: {self.status}" + (f": {self.error}" if self.error else "")

    def facts(self) -> list[tuple[str, str]]:
        """(title, value) pairs shown by Slack and Teams, in order."""
        out = [("Project", self.project), ("Status", self.status)]
        out += [("Node", self.node)] if self.node else []
        out += [("Duration", f"{self.duration_s:.2f}s")] if self.duration_s is not None else []
        out += [("Rows", f"{self.rows:,}")] if self.rows is not None else []
        out += [("Owner", self.owner)] if self.owner else []
        out += [("Time", self.timestamp)]
        out += [(_title(k), _shown(v)) for k, v in self.details.items() if v not in (None, "", [], {})]
        out += [("Error", self.error[:500])] if self.error else []
        return out


def _title(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _shown(value: Any) -> str:
    if isinstance(value, float) and 0 <= value <= 1:
        return f"{value:.1%}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value[:5])
    return str(value)


def mentions(facts: AlertFacts, metadata: Mapping[str, Any]) -> list[str]:
    """``mention`` on every event, plus ``mention_on_failure`` on failure-type events (Odibi's rule)."""
    def listed(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else list(value or [])

    names = listed(metadata.get("mention"))
    if facts.event in FAILURE_EVENTS:
        names += [n for n in listed(metadata.get("mention_on_failure")) if n not in names]
    return names


def slack_payload(facts: AlertFacts, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Block Kit: a header, a field section, the story link and mentions; ``channel`` and extra metadata
    keys (``username``, ``icon_emoji``...) become top-level payload fields."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{ICON[facts.event]} ODIBI: {facts.pipeline} - "
                                                                   f"{facts.status}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{t}:*\n{v}"} for t, v in facts.facts()[:10]]},
    ]
    if facts.story_path:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"📂 Story: `{facts.story_path}`"}]})
    names = mentions(facts, metadata)
    if names:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "🔔 " + " ".join(names)}]})
    payload: dict[str, Any] = {"text": facts.message, "blocks": blocks,
                               "attachments": [{"color": COLOR[facts.event][0], "blocks": []}]}
    passed = {k: v for k, v in metadata.items()
              if k not in ("throttle_minutes", "max_per_hour", "mention", "mention_on_failure") and v is not None}
    payload.update(passed)
    return payload


def teams_payload(facts: AlertFacts, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """An Adaptive Card in an ``attachments`` array, as Power Automate's Teams webhook trigger expects;
    mentions are ``<at>`` entities."""
    body: list[dict[str, Any]] = [
        {"type": "Container", "style": COLOR[facts.event][1], "items": [
            {"type": "TextBlock", "text": f"{ICON[facts.event]} Pipeline: {facts.pipeline}", "weight": "Bolder",
             "size": "Medium"},
            {"type": "TextBlock", "text": f"Project: {facts.project} | Status: {facts.status}", "isSubtle": True,
             "spacing": "None", "size": "Small"}]},
        {"type": "Container", "items": [{"type": "FactSet",
                                         "facts": [{"title": t, "value": v} for t, v in facts.facts()]}]},
    ]
    if facts.story_path:
        body.append({"type": "TextBlock", "text": f"📂 Story: {facts.story_path}", "size": "Small", "wrap": True})
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "version": "1.4", "body": body}
    names = mentions(facts, metadata)
    if names:
        tags = [f"<at>mention{i}</at>" for i in range(len(names))]
        body.append({"type": "TextBlock", "text": "🔔 " + " ".join(tags), "wrap": True})
        card["msteams"] = {"entities": [{"type": "mention", "text": tag, "mentioned": {"id": name, "name": name}}
                                        for tag, name in zip(tags, names, strict=True)]}
    return {"attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def webhook_payload(facts: AlertFacts, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Odibi's generic JSON: pipeline, status, duration, message, timestamp, event_type, metadata and the
    event's details under ``quarantine_details`` / ``gate_details`` / ``threshold_details``."""
    payload: dict[str, Any] = {
        "project": facts.project, "pipeline": facts.pipeline, "node": facts.node, "run_id": facts.run_id,
        "status": facts.status, "duration": facts.duration_s, "message": facts.message,
        "timestamp": facts.timestamp, "event_type": facts.event, "rows": facts.rows, "error": facts.error,
        "story_path": facts.story_path, "mentions": mentions(facts, metadata),
        "metadata": {k: v for k, v in metadata.items() if v not in (None, [])}}
    if facts.event in DETAILS_KEY:
        payload[DETAILS_KEY[facts.event]] = dict(facts.details)
    return payload


BUILDERS = {"slack": slack_payload, "teams": teams_payload, "teams_workflow": teams_payload,
            "webhook": webhook_payload}
