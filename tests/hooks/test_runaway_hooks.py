"""Hooks can't take a run down: a hook that never returns is abandoned after a timeout, a hook raising
SystemExit or another BaseException is contained and logged, and the nodes' outcomes never change.
Only KeyboardInterrupt propagates. (Airflow: tests/airflow/test_runaway_hooks.py.)"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from odibi_provider.hooks import Event, HookManager
from odibi_provider.runner import run_project
from tests.fixtures.runaway_hooks import RunawayHooks, write_project


class Abort(BaseException):
    """A BaseException that is neither Exception nor KeyboardInterrupt."""


@pytest.fixture
def runaway() -> Iterator[RunawayHooks]:
    hooks = RunawayHooks(SystemExit(3))
    yield hooks
    hooks.release.set()


@pytest.fixture
def quick_timeout(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("ODIBI_HOOK_TIMEOUT", "0.5")
    caplog.set_level(logging.WARNING, logger="odibi_provider.hooks.manager")


def assert_outputs(root: Path) -> None:
    import pyarrow.parquet as pq

    assert pq.read_table(root / "out" / "load.parquet").column("n").to_pylist() == [1, 2, 3]
    assert (root / "out" / "total.csv").read_text().split() == ["total", "6"]


def test_run_project_survives_a_hook_that_never_returns_and_one_that_exits(
        tmp_path: Path, runaway: RunawayHooks, quick_timeout: None, caplog: pytest.LogCaptureFixture) -> None:
    root = write_project(tmp_path)
    started = time.monotonic()
    run = run_project(root, hooks=runaway.manager())
    assert time.monotonic() - started < 15, "the run waited for the hook"
    assert run.ok and run.completed == ("p.load", "p.total")
    assert_outputs(root)
    assert runaway.completed() == ["p.load", "p.total"], "hooks after the misbehaving ones still fire"
    messages = [(r.getMessage(), r.exc_info[0] if r.exc_info else None) for r in caplog.records]
    assert any("did not return within 0.5s on node_start (node p.load" in m and "ODIBI_HOOK_TIMEOUT" in m
               for m, _ in messages), messages
    assert any("failed on node_complete (node p.load" in m and kind is SystemExit for m, kind in messages), messages


@pytest.mark.parametrize("error", [pytest.param(SystemExit(0), id="SystemExit"),
                                   pytest.param(Abort("stop"), id="BaseException subclass"),
                                   pytest.param(GeneratorExit(), id="GeneratorExit")])
def test_a_hook_raising_a_base_exception_is_logged_and_the_run_completes(
        tmp_path: Path, error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    hooks = HookManager()
    hooks.register("node_complete", RunawayHooks(error).raises, filters={"node": "load"})
    root = write_project(tmp_path)
    with caplog.at_level(logging.ERROR, logger="odibi_provider.hooks.manager"):
        run = run_project(root, hooks=hooks)
    assert run.ok and run.completed == ("p.load", "p.total"), "downstream ran"
    assert_outputs(root)
    [record] = caplog.records
    assert "RunawayHooks.raises failed on node_complete (node p.load" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is type(error)


def test_keyboard_interrupt_still_stops_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    hooks, seen = HookManager(timeout=5), []
    hooks.register("*", RunawayHooks(SystemExit(1)).raises, priority=2)
    hooks.register("*", RunawayHooks(KeyboardInterrupt()).raises, priority=1)
    hooks.register("*", seen.append)
    with pytest.raises(KeyboardInterrupt):
        hooks.emit(Event("node_start", run_id="r", node="p.load"))
    assert seen == [], "nothing runs after the interrupt"
    assert any(r.exc_info and r.exc_info[0] is SystemExit for r in caplog.records), \
        "the SystemExit before it was contained and logged"


def test_a_timed_out_hook_is_skipped_until_it_returns_and_order_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    runaway, order = RunawayHooks(), []
    hooks = HookManager(timeout=0.2)
    hooks.register("*", lambda ev: order.append(f"first {ev.node}"), priority=20)
    hooks.register("*", runaway.never_returns, priority=10)
    hooks.register("*", lambda ev: order.append(f"last {ev.node}"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="odibi_provider.hooks.manager"):
        for node in ("p.a", "p.b", "p.c"):
            hooks.emit(Event("node_start", run_id="r", node=node))
        assert time.monotonic() - started < 5, "one timeout, then skipped while the abandoned call runs"
        runaway.release.set()
        time.sleep(0.1)
        hooks.emit(Event("node_start", run_id="r", node="p.d"))  # returned: called again
    assert order == [f"{where} p.{n}" for n in "abcd" for where in ("first", "last")]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("did not return within 0.2s" in m for m in messages) == 1
    assert sum("skipped on node_start" in m for m in messages) == 2


def test_timeouts_are_validated_inherited_and_read_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        HookManager(timeout=0)
    assert HookManager(HookManager(timeout=3)).timeout == 3 == HookManager(timeout=3).merge(HookManager()).timeout
    monkeypatch.delenv("ODIBI_HOOK_TIMEOUT", raising=False)
    assert HookManager().timeout == 10
    monkeypatch.setenv("ODIBI_HOOK_TIMEOUT", "2.5")
    assert HookManager().timeout == 2.5
    monkeypatch.setenv("ODIBI_HOOK_TIMEOUT", "soon")
    assert HookManager().timeout == 10
    assert "ODIBI_HOOK_TIMEOUT='soon' is not a positive number of seconds" in caplog.text


def test_dagster_steps_succeed_when_hooks_hang_or_exit(tmp_path: Path, runaway: RunawayHooks,
                                                       quick_timeout: None) -> None:
    import dagster as dg

    from odibi_provider.dagster import build_definitions
    from tests.dagster.conftest import run_assets, steps

    root, instance = write_project(tmp_path), dg.DagsterInstance.ephemeral()
    started = time.monotonic()
    defs = build_definitions(root, hooks=runaway.manager())
    result = run_assets(defs, instance=instance)
    assert time.monotonic() - started < 30, "the steps waited for the hook"
    assert result.success and steps(result) == ["p__load", "p__total"]
    assert_outputs(root)
    assert runaway.completed() == ["p.load", "p.total"]
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(m.startswith("odibi node_complete p.load: rows=") for m in messages), "the Dagster log has them"
    assert any(m.startswith("odibi node_complete p.total: rows=1") for m in messages)


def test_the_dagster_run_status_sensor_survives_runaway_hooks(tmp_path: Path, runaway: RunawayHooks,
                                                              quick_timeout: None) -> None:
    import dagster as dg

    from odibi_provider.dagster import build_definitions
    from odibi_provider.dagster.run_status import finish_run
    from tests.dagster.conftest import run_assets

    root, instance = write_project(tmp_path), dg.DagsterInstance.ephemeral()
    defs = build_definitions(root)
    result = run_assets(defs, instance=instance)
    hooks = HookManager()
    hooks.register("pipeline_complete", runaway.never_returns)
    hooks.register("pipeline_complete", runaway.raises)
    odibi = defs.resources["odibi"]
    started = time.monotonic()
    events = finish_run(instance.get_run_by_id(result.run_id), "pipeline_complete", plan=odibi.load_plan(),
                        hooks=hooks, odibi=odibi,
                        pipeline_of={key: "p" for key in defs.resolve_asset_graph().get_all_asset_keys()})
    assert time.monotonic() - started < 15
    assert [e.pipeline for e in events] == ["p"]
    assert (root / "out" / "stories" / result.run_id / "index.html").is_file(), "the story is still rendered"
