"""What a node task costs beyond its node under ``dag.test()``: the Plan is decoded once per DAG run, not once per
task (an O(nodes) cost per task), and a project without stories gets no empty "odibi story" link (Airflow stores
every extra link in XCom, one more API call per task)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.airflow import OdibiStoryLink, build_dags
from odibi_provider.plan.model import Plan
from tests.airflow.conftest import register, run_state, xcoms

PROJECT = """
project: step_cost
connections:
  raw: {{type: local, base_path: data}}
  lake: {{type: local, base_path: lake}}
story: {{connection: lake, path: stories, enabled: {stories}}}
system: {{connection: lake, path: _system}}
pipelines:
  - pipeline: chain
    nodes:
      - {{name: n0, read: {{connection: raw, format: csv, path: one.csv}}}}
      - {{name: n1, depends_on: [n0], transform: {{steps: ['SELECT x + 1 AS x FROM df']}}}}
      - {{name: n2, depends_on: [n1], transform: {{steps: ['SELECT x + {add} AS x FROM df']}},
          write: {{connection: lake, format: csv, path: last.csv}}}}
"""


def _project(root: Path, *, stories: bool = False, add: int = 1) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "one.csv").write_text("x\n1\n", encoding="utf-8")
    (root / "odibi.yaml").write_text(PROJECT.format(stories=str(stories).lower(), add=add), encoding="utf-8")
    return root


def _written(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((root / "lake").rglob("last.csv*")) if p.is_file())


def test_one_dag_run_decodes_the_plan_once_and_the_next_run_sees_an_edit(airflow_db, tmp_path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "p")
    (dag,) = build_dags(root).values()
    register(dag)
    decoded: list[str] = []
    from_json = Plan.from_json

    def counting(text: Any) -> Plan:
        plan = from_json(text)
        if plan.project == "step_cost":  # dag.test() also parses the DAG folder (other projects)
            decoded.append(plan.project)
        return plan

    monkeypatch.setattr(Plan, "from_json", staticmethod(counting))
    assert run_state(dag.test()) == "success"
    assert len(decoded) == 1, f"3 tasks of one DAG run decoded the cached Plan {len(decoded)} times"
    assert "3" in _written(root)  # 1 + 1 + 1

    _project(root, add=10)  # the project changes between two DAG runs
    assert run_state(dag.test()) == "success"
    assert "12" in _written(root), "the next DAG run runs the edited project"


def test_the_story_link_exists_only_when_the_project_writes_stories(airflow_db, tmp_path) -> None:
    key = OdibiStoryLink().xcom_key
    for stories in (False, True):
        (dag,) = build_dags(_project(tmp_path / f"stories-{stories}", stories=stories)).values()
        dag_run = register(dag).test()
        assert run_state(dag_run) == "success"
        links = {task for (task, name) in xcoms(dag_run) if name == key}
        assert links == ({"n0", "n1", "n2"} if stories else set()), f"stories enabled: {stories}"
        assert all(bool(task.operator_extra_links) == stories for task in dag.tasks)
