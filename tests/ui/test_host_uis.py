"""The story link in the real host UIs, followed in headless Chromium as a user would (README "Stories in the
Dagster and Airflow UIs"): Dagster's asset page after a materialization launched from the UI, and Airflow's
task instance page and Browse menu after a triggered run. Each opened story page must load over http and
show the node's section; screenshots are checked for size, not pixels."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .hosts import AirflowUI, DagsterUI

pytestmark = pytest.mark.slow
SIZE = (1280, 900)
RUN_TIMEOUT_S = 150


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies, no local storage) with a desktop viewport."""
    fresh = browser.new_context(viewport={"width": SIZE[0], "height": SIZE[1]})
    yield fresh
    fresh.close()


def shoot(page: Page, target: Path) -> tuple[int, int]:
    """Save a PNG of the visible page; return its width and height."""
    data = page.screenshot(path=target)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def assert_story_shows(page: Page | Frame, node_id: str) -> None:
    """``page`` is the retail example's run story, served over http, showing ``node_id``'s section."""
    assert page.url.startswith("http://"), page.url
    section = page.locator(f"#node-{node_id.replace('.', '_')}")
    section.wait_for(state="visible")
    assert node_id in section.inner_text()
    assert page.title().startswith("retail · run "), page.title()
    assert page.locator("svg.run-graph").count() == 1  # the story itself, not an error text


def test_dagster_asset_links_to_its_story(dagster_ui: DagsterUI, context: BrowserContext, tmp_path: Path) -> None:
    page = context.new_page()
    page.goto(f"{dagster_ui.url}/assets/bronze/products")
    materialize = page.locator("button", has_text=re.compile(r"^Materialize$"))
    materialize.wait_for()
    with suppress(PlaywrightTimeout):  # a fresh instance first asks to "Join the Dagster community"
        page.get_by_role("button", name="Skip").click(timeout=10_000)
    materialize.click()

    link = page.locator(f'a[href^="{dagster_ui.story_base_url}/"]').first
    for _ in range(RUN_TIMEOUT_S // 5):  # the page shows a new materialization's metadata once reloaded
        with suppress(PlaywrightTimeout):
            link.wait_for(timeout=5_000)
            break
        page.reload()
    else:
        pytest.fail(f"no story link on the asset page after {RUN_TIMEOUT_S} s; see the logs in {dagster_ui.home}")
    href = link.get_attribute("href") or ""
    assert re.fullmatch(rf"{dagster_ui.story_base_url}/[0-9a-f-]+/index\.html#node-bronze_products", href), href
    link.scroll_into_view_if_needed()
    assert shoot(page, tmp_path / "dagster-asset.png") == SIZE

    with context.expect_page() as opened:  # Dagster opens URL metadata in a new tab
        link.click()
    story = opened.value
    story.wait_for_load_state()
    assert story.url == href
    assert_story_shows(story, "bronze.products")
    assert shoot(story, tmp_path / "dagster-story.png") == SIZE


def test_airflow_task_links_to_its_story(airflow_ui: AirflowUI, context: BrowserContext, tmp_path: Path) -> None:
    page = context.new_page()
    page.goto(airflow_ui.task_page("orders"))
    page.get_by_role("link", name="Details").click()  # Airflow 3 lists extra links on the Details tab
    link = page.get_by_role("link", name="odibi story")
    href = link.get_attribute("href") or ""
    story = r"/airflow/odibi/stories/retail/retail_bronze__[^/]+/index\.html#node-bronze_orders"
    assert re.fullmatch(story, href), f"{href} is not the node's story below the UI's base URL"
    assert shoot(page, tmp_path / "airflow-task.png") == SIZE

    link.click()  # same origin: the story opens in the same tab, on the api-server
    page.wait_for_url(f"{airflow_ui.origin}{href}")
    assert_story_shows(page, "bronze.orders")
    assert shoot(page, tmp_path / "airflow-story.png") == SIZE


def test_airflow_browse_menu_opens_the_stories(airflow_ui: AirflowUI, context: BrowserContext,
                                               tmp_path: Path) -> None:
    page = context.new_page()
    page.goto(f"{airflow_ui.url}/")
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="odibi stories").click()
    view = page.locator("iframe")  # the plugin's external view, inside the Airflow UI
    view.content_frame.get_by_role("link", name="retail").click()
    view.content_frame.get_by_role("link", name=re.compile(r"^retail_bronze__")).first.click()
    frame = view.element_handle().content_frame()
    assert frame is not None
    story = rf"^{re.escape(airflow_ui.url)}/odibi/stories/retail/retail_bronze__[^/]+/index\.html$"
    frame.wait_for_url(re.compile(story))
    assert_story_shows(frame, "bronze.orders")
    assert shoot(page, tmp_path / "airflow-menu.png") == SIZE
