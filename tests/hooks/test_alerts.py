"""The project's ``alerts:`` in-process: delivered to a local HTTP receiver for a failing node and a
quarantine, in Odibi's payload shapes, throttled, and never failing a node when undeliverable."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.hooks.alerts import THROTTLE
from odibi_provider.plan.cache import load_plan
from odibi_provider.runner import run_project
from tests.fixtures.receivers import closed_port_url, receiver, write_project


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    THROTTLE.clear()
    yield
    THROTTLE.clear()


def alerts(url: str, kind: str = "webhook", events: str = "[on_failure, on_quarantine]", metadata: str = "") -> str:
    return f"alerts:\n  - type: {kind}\n    url: \"{url}\"\n    on_events: {events}\n{metadata}"


def test_a_failing_node_and_a_quarantine_are_alerted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as hook:
        monkeypatch.setenv("SHOP_WEBHOOK", f"{hook.url}/hooks/T000/secret-token")
        project = write_project(tmp_path, alerts("${env:SHOP_WEBHOOK}"), fail=True)
        run = run_project(project)
        bodies = hook.wait_for(lambda b: len(b) >= 2)
    assert [r.status for r in run.results] == ["warning", "failed"]
    by_event = {b["event_type"]: b for b in bodies}
    assert set(by_event) == {"on_quarantine", "on_failure"}
    quarantine = by_event["on_quarantine"]["quarantine_details"]
    assert quarantine["rows_quarantined"] == 1 and quarantine["failed_tests"] == ["not_null_amount"]
    assert quarantine["quarantine_path"].endswith("quarantine/orders.parquet")
    failure = by_event["on_failure"]
    assert failure["node"] == "shop.totals" and failure["status"] == "FAILED"
    assert "no_such_column" in failure["error"] and failure["story_path"].endswith("shop.totals.json")
    assert hook.posts[0][0] == "/hooks/T000/secret-token"


def test_teams_and_slack_payloads_carry_mentions_and_channel(tmp_path: Path) -> None:
    with receiver() as hook:
        blocks = (f"alerts:\n  - type: teams\n    url: {hook.url}/teams\n    metadata:\n"
                  "      mention: ops@example.com\n      mention_on_failure: [oncall@example.com]\n"
                  f"  - type: slack\n    url: {hook.url}/slack\n    metadata: {{channel: '#data', username: odibi}}\n")
        run_project(write_project(tmp_path, blocks, fail=True))
        hook.wait_for(lambda b: len(b) >= 2)
    teams, slack = hook.bodies("/teams")[0], hook.bodies("/slack")[0]
    card = teams["attachments"][0]["content"]
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert [e["mentioned"]["id"] for e in card["msteams"]["entities"]] == ["ops@example.com", "oncall@example.com"]
    assert "FAILED" in card["body"][0]["items"][1]["text"]
    assert slack["channel"] == "#data" and slack["username"] == "odibi"
    assert slack["blocks"][0]["text"]["text"].endswith("shop - FAILED")


def test_repeated_failures_are_throttled_per_pipeline_and_event(tmp_path: Path) -> None:
    with receiver() as hook:
        project = write_project(tmp_path, alerts(f"{hook.url}/a", events="[on_failure]"), fail=True)
        run_project(project)
        run_project(project)
        hook.wait_for(lambda b: len(b) >= 2, timeout=1.0)
        assert len(hook.bodies()) == 1  # the second run's failure is within throttle_minutes (15)
        THROTTLE.clear()
        unthrottled = write_project(tmp_path, alerts(f"{hook.url}/a", events="[on_failure]",
                                                     metadata="    metadata: {throttle_minutes: 0}\n"), fail=True)
        run_project(unthrottled)
        run_project(unthrottled)
        assert len(hook.wait_for(lambda b: len(b) >= 3)) == 3


@pytest.mark.parametrize("status", [500, None], ids=["server error", "connection refused"])
def test_an_undeliverable_alert_is_logged_masked_and_never_fails_the_node(
        tmp_path: Path, status: int | None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="odibi_provider.hooks.alerts")
    with receiver(status or 200) as hook:
        url = f"{hook.url}/hooks/s3cr3t-token" if status else closed_port_url() + "/s3cr3t-token"
        run = run_project(write_project(tmp_path, alerts(url, events="[on_quarantine]")))
        assert run.ok and [r.status for r in run.results] == ["warning", "success"]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "not delivered" in logged and "s3cr3t" not in logged
    assert ("HTTP 500" in logged) if status else ("refused" in logged.lower())


def test_an_unset_webhook_variable_is_a_warning_at_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    project = write_project(tmp_path, alerts("${SLACK_WEBHOOK_URL}", kind="slack"))
    plan = load_plan(project)
    assert plan.alerts[0]["url"] == "${SLACK_WEBHOOK_URL}"  # kept as a reference, resolved when sent
    assert run_project(plan).ok  # the alert is skipped (logged), the run is not


def test_a_key_teams_cannot_use_is_refused_with_its_location(tmp_path: Path) -> None:
    project = write_project(tmp_path, alerts("http://127.0.0.1:9/x", kind="teams",
                                             metadata="    metadata: {channel: '#data'}\n"))
    with pytest.raises(ProjectError, match=r"(?s)alerts\[0\].*'channel' has no meaning for a Teams"):
        load_plan(project)


def test_gate_blocks_and_threshold_breaches_carry_their_details() -> None:
    from odibi_provider.hooks import Event, HookManager
    from odibi_provider.hooks.alerts import AlertSink

    with receiver() as hook:
        config = {"type": "webhook", "url": "${env:GATE_HOOK}", "on_events": ["on_gate_block", "on_threshold_breach"],
                  "metadata": {"throttle_minutes": 0, "max_per_hour": 10}}
        hooks = AlertSink(config, project="shop", resolve=lambda text: text.replace("${env:GATE_HOOK}", hook.url),
                          ).attach_to(HookManager())
        where = {"run_id": "r1", "project": "shop", "pipeline": "shop", "node": "shop.load"}
        hooks.emit(Event("gate_blocked", **where, details={"pass_rate": 0.8, "require_pass_rate": 0.95, "rows_checked": 60,
                                                           "rows_passing": 48, "reasons": ["pass rate 80%"]}))
        hooks.emit(Event("node_warning", **where, rows=0, details={"kind": "empty_overwrite"}))
        hooks.emit(Event("node_complete", **where, details={"quarantined_rows": 0}))  # nothing to alert
    gate, breach = hook.bodies()
    assert gate["gate_details"] == {"pass_rate": 0.8, "required_rate": 0.95, "failed_rows": 12,
                                    "failure_reasons": ["pass rate 80%"]}
    assert gate["status"] == "GATE_BLOCKED"
    assert breach["threshold_details"]["metric"] == "empty_overwrite"
