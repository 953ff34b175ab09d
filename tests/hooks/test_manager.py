"""HookManager: filters, priorities, failure isolation, thread safety; Event as plain data."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from odibi_provider.hooks import Event, EventType, HookManager


def event(type: str = "node_complete", **values: Any) -> Event:
    base = {"run_id": "r1", "project": "retail", "pipeline": "silver_sales", "layer": "silver",
            "node": "silver_sales.clean_sales", "engine": "pandas", "tags": ("daily", "pii")}
    return Event(type, **{**base, **values})


def recorder(hooks: HookManager, name: str = "*", **kwargs: Any) -> list[Event]:
    seen: list[Event] = []
    hooks.register(name, seen.append, **kwargs)
    return seen


def test_decorator_registers_and_returns_the_function() -> None:
    hooks = HookManager()
    seen: list[str] = []

    @hooks.on("node_start")
    def started(ev: Event) -> None:
        seen.append(ev.node or "")

    hooks.emit(event("node_start"))
    hooks.emit(event("node_complete"))
    assert seen == ["silver_sales.clean_sales"]
    assert callable(started) and started.__name__ == "started"


def test_star_and_lists_of_event_types() -> None:
    hooks = HookManager()
    everything = recorder(hooks, "*")
    some = recorder(hooks, ["node_error", EventType.NODE_RETRY])
    for name in EventType:
        hooks.emit(event(name))
    assert [e.type for e in everything] == list(EventType)
    assert [e.type for e in some] == [EventType.NODE_ERROR, EventType.NODE_RETRY]


@pytest.mark.parametrize(("filters", "expected"), [
    pytest.param({"pipeline": "silver_sales"}, True, id="pipeline string"),
    pytest.param({"pipeline": ["bronze", "silver_sales"]}, True, id="pipeline any-of list"),
    pytest.param({"pipeline": "gold"}, False, id="other pipeline"),
    pytest.param({"layer": "silver"}, True, id="layer"),
    pytest.param({"layer": ["bronze", "gold"]}, False, id="layer not listed"),
    pytest.param({"node": "silver_sales.clean_sales"}, True, id="node id"),
    pytest.param({"node": "clean_sales"}, True, id="node name"),
    pytest.param({"node": "silver_*.clean_*"}, True, id="node wildcard"),
    pytest.param({"node": "clean"}, False, id="node prefix is not a match"),
    pytest.param({"engine": "spark"}, False, id="engine"),
    pytest.param({"tags": "pii"}, True, id="one tag"),
    pytest.param({"tags": ["hourly", "daily"]}, True, id="any of the tags"),
    pytest.param({"tags": ["hourly"]}, False, id="no tag in common"),
    pytest.param({"layer": "silver", "engine": "pandas", "tags": "daily"}, True, id="all keys must match"),
    pytest.param({"layer": "silver", "engine": "spark"}, False, id="one key fails"),
])
def test_filters_select_events(filters: dict[str, Any], expected: bool) -> None:
    hooks = HookManager()
    seen = recorder(hooks, "node_complete", filters=filters)
    hooks.emit(event())
    assert bool(seen) is expected


def test_a_filter_never_matches_an_event_without_that_field() -> None:
    hooks = HookManager()
    seen = recorder(hooks, filters={"node": "*"})
    hooks.emit(event("pipeline_start", node=None))
    hooks.emit(event("node_start"))
    assert [e.type for e in seen] == [EventType.NODE_START]


def test_higher_priority_first_and_equal_priority_in_registration_order() -> None:
    hooks = HookManager()
    order: list[str] = []
    for name, priority in [("a", 0), ("b", 10), ("c", 0), ("d", -5), ("e", 10)]:
        hooks.register("*", lambda ev, n=name: order.append(n), priority=priority)
    hooks.emit(event())
    assert order == ["b", "e", "a", "c", "d"]


def test_a_raising_hook_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    hooks = HookManager()
    seen: list[str] = []

    @hooks.on("node_complete", priority=5)
    def broken(ev: Event) -> None:
        raise RuntimeError("boom")

    hooks.register("node_complete", lambda ev: seen.append("after"))
    with caplog.at_level(logging.ERROR, logger="odibi_provider.hooks.manager"):
        assert hooks.emit(event()) is None
    assert seen == ["after"]
    [record] = caplog.records
    assert "broken" in record.getMessage() and "node_complete" in record.getMessage()
    assert record.exc_info is not None and "boom" in caplog.text


@pytest.mark.parametrize(("call", "match"), [
    pytest.param(lambda h: h.register("node_sart", print), r"did you mean 'node_start'", id="event typo"),
    pytest.param(lambda h: h.register("*", print, filters={"layers": "x"}), r"did you mean 'layer'",
                 id="filter typo"),
    pytest.param(lambda h: h.register([], print), r"no event given", id="no events"),
])
def test_registration_errors_name_the_fix(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call(HookManager())


def test_a_hook_must_be_callable() -> None:
    with pytest.raises(TypeError, match="must be callable"):
        HookManager().register("*", "not a function")  # type: ignore[arg-type]


def test_merge_keeps_priorities_and_unregister_removes() -> None:
    first, second = HookManager(), HookManager()
    order: list[str] = []

    def low(ev: Event) -> None:
        order.append("low")

    first.register("*", low)
    second.register("*", lambda ev: order.append("high"), priority=1)
    second.register("*", lambda ev: order.append("second-low"))
    merged = first.merge(second)
    merged.emit(event())
    assert order == ["high", "low", "second-low"]
    assert merged.unregister(low) == 1 and len(merged.hooks()) == 2
    assert len(first.hooks()) == 1  # the originals are untouched
    assert HookManager(first, second).hooks() == first.merge(second).hooks()  # the constructor merges too


def test_hooks_lists_the_matching_hooks_in_call_order() -> None:
    hooks = HookManager()
    a, b = (lambda ev: None), (lambda ev: None)
    hooks.register("node_error", a)
    hooks.register("*", b, priority=1)
    assert hooks.hooks(event("node_error")) == (b, a)
    assert hooks.hooks(event("node_start")) == (b,)


def test_concurrent_emit_and_register() -> None:
    hooks = HookManager()
    lock, counts = threading.Lock(), {"n": 0}

    def count(ev: Event) -> None:
        with lock:
            counts["n"] += 1

    hooks.register("*", count)
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        barrier.wait()
        for _ in range(250):
            hooks.emit(event(node=f"p.n{i}"))
        hooks.register("node_error", lambda ev: None)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts["n"] == 8 * 250
    assert len(hooks.hooks()) == 9


def test_event_is_frozen_json_ready_and_round_trips() -> None:
    ev = event("node_retry", attempt=2, error="timeout", details={"delay_s": 1.5, "nested": {"a": [1, 2]}})
    data = ev.to_dict()
    assert data["type"] == "node_retry" and data["tags"] == ["daily", "pii"]
    assert Event.from_dict(json.loads(json.dumps(data))) == ev
    with pytest.raises(AttributeError):
        ev.rows = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        ev.details["x"] = 1  # type: ignore[index]
    assert hash(ev) == hash(Event.from_dict(data))


def test_event_for_node_reads_the_plan_node() -> None:
    from odibi_provider.plan.model import PlanNode

    node = PlanNode(id="gold.kpis", name="kpis", pipeline="gold", layer="gold", engine="spark", tags=("finance",))
    ev = Event.for_node("node_complete", node, run_id="r9", project="retail", rows=12, duration_s=0.5)
    assert (ev.pipeline, ev.layer, ev.node, ev.engine, ev.tags, ev.rows) == ("gold", "gold", "gold.kpis", "spark",
                                                                              ("finance",), 12)
    duck = SimpleNamespace(id="b.x", pipeline="b", layer="bronze", engine="pandas", tags=[])
    assert Event.for_node(EventType.NODE_START, duck, run_id="r", project="p").node == "b.x"


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="did you mean 'pipeline_error'"):
        Event("pipeline_eror")


def test_importing_hooks_and_story_stays_light() -> None:
    code = ("import sys, odibi_provider.hooks as h, odibi_provider.story as s; h.HookManager; h.Event; "
            "h.JsonLinesSink; h.SqlTableSink; s.render_run_html; s.StoryWriter; "
            "print(','.join(m for m in ('sqlalchemy', 'pandas', 'duckdb', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
