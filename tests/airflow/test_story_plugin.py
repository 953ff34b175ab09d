"""The odibi plugin serves run stories from the Airflow api-server: the "odibi story" extra link of a
``dag.test()`` run is a same-origin http link that the api-server app (plugins mounted from the
``airflow.plugins`` entry point) answers with the rendered story; unsafe paths are 404s."""

from __future__ import annotations

import json
from typing import Any

import pytest

from odibi_provider.airflow import build_dag
from tests.airflow.conftest import register, task_states, xcoms
from tests.fixtures.story_project import SECRET, write_story_project


@pytest.fixture(scope="module")
def story_run(airflow_db: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    root = write_story_project(tmp_path_factory.mktemp("plugin"), "plugin_demo", broken=True)
    dag = register(build_dag(root, "p"))
    return dag.test(), root


@pytest.fixture(scope="module")
def api_server() -> Any:
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    return TestClient(create_app("all"))


def _link(dag_run: Any, task_id: str) -> str:
    link = xcoms(dag_run)[(task_id, "_link_OdibiStoryLink")]
    return json.loads(link) if link.startswith('"') else link


def test_the_extra_link_is_served_by_the_api_server(story_run: Any, api_server: Any) -> None:
    dag_run, _ = story_run
    link = _link(dag_run, "load")
    assert link.startswith("/odibi/stories/plugin_demo/") and link.endswith("/index.html#node-p_load")
    page = api_server.get(link.split("#")[0])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "p.load" in page.text and "<html" in page.text.lower()


def test_a_failed_task_links_to_its_story_too(story_run: Any, api_server: Any) -> None:
    dag_run, _ = story_run
    assert task_states(dag_run)["broken"][0] == "failed"
    page = api_server.get(_link(dag_run, "broken").split("#")[0])
    assert page.status_code == 200 and "no_such_column" in page.text


def test_the_menu_page_lists_the_project_and_its_runs(story_run: Any, api_server: Any) -> None:
    dag_run, _ = story_run
    assert 'href="plugin_demo/"' in api_server.get("/odibi/stories/").text
    runs = api_server.get("/odibi/stories/plugin_demo/")
    run_folder = _link(dag_run, "load").split("/")[4]
    assert runs.status_code == 200 and f'href="{run_folder}/index.html"' in runs.text


@pytest.mark.parametrize("path", [
    pytest.param("/odibi/stories/plugin_demo/run/../../secret.txt", id="dot-dot"),
    pytest.param("/odibi/stories/plugin_demo/%2e%2e/secret.txt", id="encoded dot-dot"),
    pytest.param("/odibi/stories/plugin_demo/..%2Fsecret.txt", id="encoded slash"),
    pytest.param("/odibi/stories/plugin_demo/..%2F..%2Fdata/fruit.csv", id="data file"),
    pytest.param("/odibi/stories/plugin_demo/%2Fetc%2Fpasswd", id="absolute"),
    pytest.param("/odibi/stories/plugin_demo/..%5Csecret.txt", id="backslash"),
    pytest.param("/odibi/stories/no_such_project/x/index.html", id="unknown project"),
])
def test_paths_outside_the_story_root_are_not_found(story_run: Any, api_server: Any, path: str) -> None:
    answer = api_server.get(path)
    assert answer.status_code == 404 and SECRET not in answer.text and "project:" not in answer.text


def test_the_plugin_adds_a_browse_menu_entry() -> None:
    from airflow import plugins_manager

    views = plugins_manager._get_ui_plugins()[0]
    assert {"name": "odibi stories", "href": "/odibi/stories/", "destination": "nav", "category": "browse",
            "url_route": "odibi_stories"} in views
