"""A story server renders a running run's page when it is asked for it and a node finished after the last
render (hosts' tasks leave the page alone between refreshes), so a viewer sees every finished node; a final
page is served as it is."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from odibi_provider.store import Store
from odibi_provider.story.html import render_run_index
from odibi_provider.story.record import NodeStatus, NodeStory
from odibi_provider.story.server import StoryServer
from odibi_provider.story.writer import StoryWriter

RUN = "run-1"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "stories"


@pytest.fixture
def server(root: Path) -> Iterator[str]:
    """A story server on 127.0.0.1 over ``root``; yields its base URL."""
    server = StoryServer(Store.local(root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()


def _node(root: Path, name: str, *, status: NodeStatus = "success") -> None:
    """A node fragment written as a host's task writes it (its own writer, after the page was rendered)."""
    now = time.time()
    StoryWriter(root, RUN, project="demo").write_node(NodeStory(
        run_id=RUN, project="demo", node_id=f"p.{name}", pipeline="p", layer="bronze", engine="duckdb",
        status=status, started_at=now, finished_at=now))


def _age(path: Path, seconds: float = 30.0) -> None:
    """Date ``path`` back, as a page rendered a while before the next node finished."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        return answer.read().decode()


def _title_status(page: str) -> str:
    """The run status the page's title gives."""
    return page.split("</title>")[0].rsplit("·", 1)[1].strip()


def _status(root: Path) -> str:
    return str(json.loads((root / RUN / "run.json").read_text(encoding="utf-8"))["status"])


def test_a_stale_running_page_shows_the_nodes_finished_since_and_a_final_page_is_kept(root: Path,
                                                                                     server: str) -> None:
    _node(root, "n0")
    StoryWriter(root, RUN, project="demo").finish(running=True)
    page = render_run_index(Store.local(root / RUN)).local_path()
    _age(page)
    _node(root, "n1")  # its task left the page alone
    served = _get(f"{server}/{RUN}/index.html")
    assert 'id="node-p_n0"' in served and 'id="node-p_n1"' in served, "the page shows the node finished since"
    assert _title_status(served) == "running" and _status(root) == "running"
    assert page.read_text(encoding="utf-8") == served, "the rendered page is stored for the next request"

    StoryWriter(root, RUN, project="demo").finish()  # the run's last task: the final summary and page
    final = render_run_index(Store.local(root / RUN)).local_path().read_text(encoding="utf-8")
    _node(root, "late")  # e.g. a fragment written after the run ended
    assert _get(f"{server}/{RUN}/") == final, "a final page is served as it is"
    assert 'id="node-p_late"' not in final and _status(root) == "success", "never turned back into running"


def test_a_run_without_a_page_yet_gets_one(root: Path, server: str) -> None:
    _node(root, "n0")
    _node(root, "n1", status="failed")
    served = _get(f"{server}/{RUN}/index.html")
    assert 'id="node-p_n0"' in served and 'id="node-p_n1"' in served and _title_status(served) == "running"
    assert not (root / RUN / "run.json").exists(), "the server writes no run summary: the hosts own it"


def test_a_final_summary_newer_than_its_page_is_rendered(root: Path, server: str) -> None:
    _node(root, "n0")
    StoryWriter(root, RUN, project="demo").finish(running=True)
    _age(render_run_index(Store.local(root / RUN)).local_path())
    _node(root, "n1", status="failed")
    StoryWriter(root, RUN, project="demo").finish()  # a task settled the run and failed to render its page
    served = _get(f"{server}/{RUN}/index.html")
    assert 'id="node-p_n1"' in served and _title_status(served) == "failed"
    assert _status(root) == "failed"
