"""What a node step under Dagster no longer pays for: a re-render of the run's whole HTML story after every
node, and a hook thread for each of its start and end log lines."""

from __future__ import annotations

import threading

import pytest

from odibi_provider.dagster import build_definitions
from odibi_provider.story import html, refresh
from tests.dagster.chain_project import chain
from tests.dagster.conftest import run_assets

NODES = 5


def test_the_running_story_page_is_refreshed_by_interval_and_after_the_last_node(make_project, monkeypatch):
    renders: list[str] = []
    real = html.render_run_index

    def counting(run, *args, **kwargs):
        renders.append(run.name)
        return real(run, *args, **kwargs)

    monkeypatch.setattr(html, "render_run_index", counting)
    monkeypatch.setattr(refresh, "RENDER_EVERY_S", 3600.0)  # no refresh by time here
    project = chain(make_project, NODES, story="{connection: lake, path: stories}")
    result = run_assets(build_definitions(project))
    assert result.success
    assert len(renders) == 2, "the first node (no page yet) and the last one, not every node"
    (page,) = project.parent.glob("lake/stories/*/index.html")
    text = page.read_text(encoding="utf-8")
    assert all(f"p.n{i}" in text for i in range(NODES)), "the page shows every node of the run"


@pytest.mark.parametrize("granularity", ["node", "pipeline"])
def test_node_progress_reaches_the_dagster_log_without_a_hook_thread(make_project, monkeypatch, granularity):
    started: list[str] = []
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        started.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    result = run_assets(build_definitions(chain(make_project, NODES), granularity=granularity),
                        instance=instance)
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    starts = [m for m in messages if m.startswith("odibi node_start")]
    assert sum(m.startswith("odibi node_complete") for m in messages) == NODES
    if granularity == "node":  # a step is one node: Dagster's STEP_START is its start, no line of ours
        assert not starts
        assert len(instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_START)) == NODES
        assert not [name for name in started if name.startswith("odibi-hook:")]
    else:
        assert starts == [f"odibi node_start p.n{i}" for i in range(NODES)]  # node_start is emitted on the runner's worker thread; the ends are logged by the step
        assert len([name for name in started if name.startswith("odibi-hook:")]) == NODES
