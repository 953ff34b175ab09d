"""Fixtures for the Dagster adapter: one copy of the retail example per session, materialized once, and
small projects written per test. Everything runs in-process against real Dagster."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from odibi_provider.dagster import build_definitions
from odibi_provider.hooks import Event, HookManager
from tests.conftest import EXAMPLES

COPY_IGNORE = shutil.ignore_patterns("output", ".odibi", "__pycache__")


class EventRecorder:
    """A HookManager that records every odibi event (tests count node runs with it)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.hooks = HookManager()
        self.hooks.register("*", self.events.append)

    def clear(self) -> None:
        self.events.clear()

    def nodes(self, kind: str = "node_start") -> list[str]:
        return [e.node for e in self.events if e.type.value == kind]


def copy_example(target: Path, name: str = "retail") -> Path:
    """A copy of ``examples/<name>`` without outputs or caches; returns the project folder."""
    shutil.copytree(EXAMPLES / name, target, ignore=COPY_IGNORE)
    return target


def run_assets(defs: dg.Definitions, selection: Iterable[Any] | None = None, **kwargs: Any) -> Any:
    """Materialize ``selection`` (asset keys; None for all) of ``defs`` with the in-process executor."""
    job = defs.resolve_implicit_global_asset_job_def()
    keys = None if selection is None else [dg.AssetKey.from_user_string(k) if isinstance(k, str) else k for k in selection]
    return job.execute_in_process(asset_selection=keys, raise_on_error=False, **kwargs)


def steps(result: Any, event_type: str = "STEP_SUCCESS") -> list[str]:
    return sorted({e.step_key for e in result.all_events if e.event_type_value == event_type})


@pytest.fixture(scope="session")
def retail_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("dagster") / "retail")


@pytest.fixture(scope="session")
def recorder() -> EventRecorder:
    return EventRecorder()


@pytest.fixture(scope="session")
def retail_defs(retail_project: Path, recorder: EventRecorder) -> dg.Definitions:
    return build_definitions(retail_project, hooks=recorder.hooks)


@pytest.fixture(scope="session")
def retail_run(retail_defs: dg.Definitions, recorder: EventRecorder) -> Any:
    """The whole retail project materialized once (in-process executor), shared by several tests."""
    recorder.clear()
    result = run_assets(retail_defs)
    assert result.success, [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return result
