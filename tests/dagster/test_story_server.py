"""Dagster's story link is http when a server serves the story root: ``odibi-provider serve-stories``
(started here on 127.0.0.1) answers the ``odibi/story_url`` of a materialization with the run's story,
and refuses paths that leave the story root."""

from __future__ import annotations

import http.client
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from dagster.components.testing import create_defs_folder_sandbox

from odibi_provider.dagster import OdibiProjectComponent, OdibiResource, build_definitions
from tests.dagster.conftest import run_assets
from tests.fixtures.story_project import SECRET, write_story_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_story_project(tmp_path, "story_serve")


@pytest.fixture
def server(project: Path) -> Iterator[str]:
    """``odibi-provider serve-stories PROJECT --port 0`` as a user starts it; yields its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "odibi_provider", "serve-stories", str(project), "--port", "0",
                             "--no-color"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        url = proc.stdout.readline().split()[0].rstrip("/")
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _story_url(project: Path, **resource: Any) -> str:
    odibi = OdibiResource(project_path=str(project), **resource)
    result = run_assets(build_definitions(project, resources={"odibi": odibi}))
    assert result.success
    [event] = result.get_asset_materialization_events()
    return str(event.materialization.metadata["odibi/story_url"].value)


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read().decode()


def test_the_metadata_link_is_served_over_http(project: Path, server: str) -> None:
    link = _story_url(project, story_base_url=server)
    assert link.startswith(server + "/") and link.endswith("/index.html#node-p_load")
    status, page = _get(link.split("#")[0])
    assert status == 200 and "p.load" in page and "<html" in page.lower()
    status, runs = _get(server + "/")
    assert status == 200 and link[len(server) + 1:].split("#")[0] in runs


def test_the_base_url_comes_from_the_environment(project: Path, server: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODIBI_STORY_BASE_URL", server)
    link = _story_url(project)
    assert link.startswith(server + "/")
    assert _get(link.split("#")[0])[0] == 200


def test_without_a_base_url_the_file_link_opens_at_the_node(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ODIBI_STORY_BASE_URL", raising=False)
    link = _story_url(project)
    assert link.startswith("file://") and link.endswith("/index.html#node-p_load")


@pytest.mark.parametrize("path", [
    pytest.param("/../secret.txt", id="dot-dot"),
    pytest.param("/%2e%2e/secret.txt", id="encoded dot-dot"),
    pytest.param("/..%2fsecret.txt", id="encoded slash"),
    pytest.param("/..%5csecret.txt", id="backslash"),
    pytest.param("//etc/passwd", id="absolute"),
    pytest.param("/.hidden/index.html", id="hidden"),
])
def test_traversal_attempts_get_404(project: Path, server: str, path: str) -> None:
    connection = http.client.HTTPConnection(urlsplit(server).netloc, timeout=10)
    connection.request("GET", path)  # sent as written: no client-side normalisation
    answer = connection.getresponse()
    assert answer.status == 404 and SECRET.encode() not in answer.read()


def test_the_server_is_read_only(server: str) -> None:
    connection = http.client.HTTPConnection(urlsplit(server).netloc, timeout=10)
    connection.request("PUT", "/x.html", body=b"<p>overwritten</p>")
    assert connection.getresponse().status == 501


def test_the_component_takes_a_story_base_url(project: Path) -> None:
    with create_defs_folder_sandbox() as sandbox:
        path = sandbox.scaffold_component(OdibiProjectComponent, defs_path="demo", defs_yaml_contents={
            "type": "odibi_provider.dagster.OdibiProjectComponent",
            "attributes": {"project": str(project), "story_base_url": "http://stories.internal:8765"}})
        with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
            assert defs.resources["odibi"].story_base_url == "http://stories.internal:8765"


def test_a_symlink_out_of_the_story_root_is_not_followed(project: Path, server: str) -> None:
    (project / "out" / "stories" / "leak.json").symlink_to(project / "out" / "secret.txt")
    connection = http.client.HTTPConnection(urlsplit(server).netloc, timeout=10)
    connection.request("GET", "/leak.json")
    answer = connection.getresponse()
    assert answer.status == 404 and SECRET.encode() not in answer.read()
