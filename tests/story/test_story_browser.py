"""A real run's story opened in headless Chromium at desktop and phone widths: the graph, the timeline and
every node's section are there, and nothing overflows the page (asserted on the DOM, not on pixels)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from odibi_provider.runner import run_project

from .browser import dom, measure, screenshot
from .story_project import NODES, story_project


@pytest.fixture(scope="module")
def story_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = run_project(story_project(tmp_path_factory.mktemp("story")))
    assert run.story_html, "the run wrote no story page"
    return Path(run.story_html)


def test_story_fits_phone_and_desktop_screens(story_page: Path, tmp_path: Path) -> None:
    for width in (1280, 390):
        probe = measure(story_page, width)
        assert probe["innerWidth"] == width
        assert probe["scrollWidth"] <= width, f"the page is {probe['scrollWidth']} px wide at {width} px"
        assert screenshot(story_page, tmp_path / f"story-{width}.png", width) == (width, 2000)


def test_story_shows_the_graph_the_timeline_and_every_node(story_page: Path) -> None:
    page = dom(story_page)
    graph = re.search(r'<svg class="run-graph".*?</svg>', page, re.S)
    assert graph, "no run graph"
    assert sorted(re.findall(r'class="gnode" data-node="([^"]+)"', graph.group(0))) == sorted(NODES)
    edges = set(re.findall(r'data-from="([^"]+)" data-to="([^"]+)"', graph.group(0)))
    assert edges == {("bronze.orders", "silver.enriched"), ("bronze.customers", "silver.enriched"),
                     ("silver.enriched", "silver.broken"), ("silver.broken", "silver.after_broken")}
    statuses = dict(re.findall(r'data-node="([^"]+)" data-status="([^"]+)"', graph.group(0)))
    assert statuses == {"bronze.orders": "warning", "bronze.customers": "success", "silver.enriched": "success",
                        "silver.broken": "failed", "silver.after_broken": "skipped"}
    bars = re.findall(r'class="tl-bar [a-z]+" data-node="([^"]+)"', page)
    assert sorted(bars) == sorted(n for n in NODES if n != "silver.after_broken")  # the skipped node never ran
    for node in NODES:
        assert f'id="node-{node.replace(".", "_")}"' in page, f"{node}'s section is missing"
    assert "<script src" not in page and "<link" not in page  # self-contained


def test_story_reads_the_run_right(story_page: Path) -> None:
    page = story_page.read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    assert "3 completed1 failed1 skipped5 node(s)" in text  # the header counts the skipped node
    assert "failed in step 2 (function explode)" in text
    assert "ValueError: exploded on purpose" in text and "ValueError: ValueError" not in text
    assert "Attempts: 2 of 3 (1 retry)" in text  # bronze.customers failed once and passed on its retry
    assert re.search(r"1 row\(s\) quarantined to \S*rejected_orders", text)
    assert '{"column": "amount", "factor": 10}' in text.replace("&quot;", '"')  # the function step's params
    assert "scale" in text and "explode" in text
    enriched = text[text.index("silver.enrichedsilver"):]
    assert re.search(r"o3\d+", enriched) and re.search(r"c2\d+", enriched)  # rows per input
    assert "no output schema: the node failed in step 2 (function explode)" in text
    assert "removed: id" not in text  # a failed node is not "every column removed"
