"""A node task under Airflow no longer pays O(nodes) for the run's story: it settles the summary and re-renders
the HTML page only for a failure, at the run's end, or when the page is older than the refresh interval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.airflow import build_dag
from odibi_provider.runner import story_io
from odibi_provider.story import html, refresh
from tests.airflow.conftest import register, run_state, task_states
from tests.story.headers import header, summary

CHAIN = 12


def _project(root: Path, *, failing: bool = False) -> Path:
    """A chain ``n0 .. n11``; ``failing`` adds ``bad`` (after ``n0``, a query on a column that does not exist)
    and ``after_bad``, which it keeps from running."""
    nodes = ["      - {name: n0, read: {connection: raw, format: csv, path: one.csv}}"]
    nodes += [f"      - {{name: n{i}, depends_on: [n{i - 1}], transform: {{steps: ['SELECT x + 1 AS x FROM df']}}}}"
              for i in range(1, CHAIN)]
    if failing:
        nodes += ["      - {name: bad, depends_on: [n0], transform: {steps: ['SELECT no_such_column FROM df']}}",
                  "      - {name: after_bad, depends_on: [bad], transform: {steps: ['SELECT * FROM df']}}"]
    (root / "data").mkdir(parents=True)
    (root / "data" / "one.csv").write_text("x\n1\n", encoding="utf-8")
    (root / "odibi.yaml").write_text("\n".join([
        "project: render_cost", "connections:", "  raw: {type: local, base_path: data}",
        "  lake: {type: local, base_path: lake}", "story: {connection: lake, path: stories}",
        "system: {connection: lake, path: _system}", "pipelines:", "  - pipeline: p", "    nodes:", *nodes]) + "\n",
        encoding="utf-8")
    return root / "odibi.yaml"


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """``(task id, page text)`` of each render of a run page; no refresh by time (the interval is an hour)."""
    from airflow.sdk import get_current_context

    seen: list[tuple[str, str]] = []
    real = html.render_run_index

    def counting(run: Any) -> Any:
        page = real(run)
        seen.append((get_current_context()["ti"].task_id, page.read_text()))
        return page

    monkeypatch.setattr(html, "render_run_index", counting)
    monkeypatch.setattr(refresh, "RENDER_EVERY_S", 3600.0)
    return seen


@pytest.fixture
def settles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The node tasks that settled the run summary (each reads every fragment of the run)."""
    seen: list[str] = []
    real = story_io.settle_story

    def counting(ctx: Any, *args: Any, **kwargs: Any) -> bool:
        seen.append(ctx.run_id)
        return real(ctx, *args, **kwargs)

    monkeypatch.setattr(story_io, "settle_story", counting)
    return seen


def test_a_chain_renders_its_page_twice_not_once_per_task(airflow_db, tmp_path: Path, renders, settles) -> None:
    dag = register(build_dag(_project(tmp_path), "p"))
    dag_run = dag.test()
    assert run_state(dag_run) == "success"
    assert len(task_states(dag_run)) == CHAIN
    assert [task for task, _ in renders] == ["n0", f"n{CHAIN - 1}"], "the first task (no page yet) and the last"
    assert len(settles) == 2, f"{CHAIN} tasks settled the run summary {len(settles)} times"
    (run_dir,) = (tmp_path / "lake" / "stories").iterdir()
    assert summary(run_dir) == {"status": "success", "completed": CHAIN, "failed": 0, "skipped": 0, "nodes": CHAIN}
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    assert all(f'id="node-p_n{i}"' in page for i in range(CHAIN)), "the final page shows every node"
    text = header(run_dir)
    assert "render_cost success" in text and f"{CHAIN} completed 0 failed 0 skipped {CHAIN} node(s)" in text


def test_a_failing_task_renders_the_page_at_once(airflow_db, tmp_path: Path, renders) -> None:
    dag = register(build_dag(_project(tmp_path, failing=True), "p"))
    dag_run = dag.test()
    assert run_state(dag_run) == "failed"
    states = task_states(dag_run)
    assert states["bad"][0] == "failed" and states["after_bad"][0] == "upstream_failed"
    by_task = dict(renders)
    assert "bad" in by_task, f"the failing task rendered no page (renders by {[t for t, _ in renders]})"
    assert 'id="node-p_bad"' in by_task["bad"] and "no_such_column" in by_task["bad"], "its page shows the error"
    assert len(renders) < len(states) - 1, "the other tasks left the page alone"
    (run_dir,) = (tmp_path / "lake" / "stories").iterdir()
    assert summary(run_dir) == {"status": "failed", "completed": CHAIN, "failed": 1, "skipped": 1,
                                "nodes": CHAIN + 2}
    text = header(run_dir)
    assert "render_cost failed" in text and f"{CHAIN} completed 1 failed 1 skipped {CHAIN + 2} node(s)" in text
