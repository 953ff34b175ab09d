"""Session fixtures for the host UI tests: a headless Chromium driven by Playwright (Debian's ``chromium``;
Playwright's own browser downloads are not used), ``dagster dev`` and an Airflow deployment, each over its own
copy of the retail example. The servers are started once and stopped when the session ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from benchmarks.airflow_live import copy_retail
from tests.story.browser import chromium

from .hosts import AirflowUI, DagsterUI

STARTUP_TIMEOUT = 180.0  # seconds; the machine may be shared


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (skips with the install hint when it is missing)."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterUI]:
    """``dagster dev`` and ``odibi-provider serve-stories`` over a copy of the retail example."""
    home = tmp_path_factory.mktemp("dagster-ui")
    with DagsterUI(home, copy_retail(home / "retail")).running(STARTUP_TIMEOUT) as ui:
        yield ui


@pytest.fixture(scope="session")
def airflow_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowUI]:
    """Airflow 3 with the retail example's bronze DAG, run once, served below ``/airflow`` (``[api] base_url``
    with a path: every link must keep it)."""
    home = tmp_path_factory.mktemp("airflow-ui")
    project = copy_retail(home / "retail")
    with AirflowUI(home / "home", project, "bronze", base_path="/airflow").running(STARTUP_TIMEOUT) as ui:
        yield ui
