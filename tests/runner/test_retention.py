"""Story retention (``retention_days`` / ``retention_count``) prunes old runs: their stories, run records and
intermediates, locally and on an object store; never the current run, a running one, or anything else."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.plan import load_plan
from odibi_provider.runner import run_project
from odibi_provider.runner.retention import prune_runs
from odibi_provider.store import Store
from tests.cloud.conftest import (  # noqa: F401 (azurite, moto_s3: the session's emulator fixtures)
    BUCKET,
    CONTAINER,
    SECRETS,
    azure_spec,
    azurite,
    moto_s3,
    open_spec,
    s3_spec,
)
from tests.cloud.test_remote_story_system import AZURE_LAKE, S3_LAKE
from tests.fixtures.cloud_servers import AZURITE_ACCOUNT

PROJECT = """
project: kept
connections:
  lake: {type: local, base_path: lake}
LAKE
story: {connection: lake, path: stories, RETENTION}
system: {connection: lake, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: staged
        transform: {steps: ["SELECT 1 AS id"]}
      - name: final
        depends_on: [staged]
        write: {connection: lake, format: csv, path: final.csv}
"""
DAY = 86_400


def _project(make_project: Any, retention: str, *, story_conn: str = "lake") -> Path:
    text = PROJECT.replace("LAKE\n", "").replace("RETENTION", retention)
    project = make_project(text.replace("{connection: lake, path: stories", f"{{connection: {story_conn}, path: stories"))
    (project.parent / "lake").mkdir()
    return project


def _runs(root: Path) -> dict[str, set[str]]:
    """Run ids found in each place a run leaves files."""
    lake = root / "lake"
    places = {"story": lake / "stories", "record": lake / "_system" / "runs",
              "intermediate": lake / "_system" / "intermediate"}
    return {name: {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
            for name, folder in places.items()}


def _age(folder: Path, days: float) -> None:
    """Make every file below ``folder`` look ``days`` old."""
    then = time.time() - days * DAY
    for path in [folder, *folder.rglob("*")] if folder.exists() else []:
        os.utime(path, (then, then))


def _age_run(lake: Path, run_id: str, days: float) -> None:
    for folder in (lake / "stories" / run_id, lake / "_system" / "runs" / run_id,
                   lake / "_system" / "intermediate" / run_id):
        _age(folder, days)


def test_retention_count_keeps_the_newest_runs_everywhere(make_project):
    project = _project(make_project, "retention_count: 2")
    ids = [run_project(project).run_id for _ in range(4)]
    found = _runs(project.parent)
    assert found["story"] == found["intermediate"] == set(ids[-2:])
    assert found["record"] <= set(ids[-2:])
    story = project.parent / "lake" / "stories" / ids[-1]
    assert (story / "index.html").is_file() and (story / "run.json").is_file()


def test_retention_days_prunes_old_runs_and_keeps_recent_ones(make_project):
    project = _project(make_project, "retention_days: 3, retention_count: null")
    old, recent = run_project(project).run_id, run_project(project).run_id
    lake = project.parent / "lake"
    _age_run(lake, old, 5)
    _age_run(lake, recent, 2)
    current = run_project(project).run_id
    found = _runs(project.parent)
    assert found["story"] == found["intermediate"] == {recent, current}
    assert old not in found["record"]


def test_a_run_still_running_and_other_folders_are_never_pruned(make_project):
    project = _project(make_project, "retention_days: 30")
    lake = project.parent / "lake"
    running = run_project(project).run_id
    done = run_project(project).run_id
    (lake / "stories" / "notes").mkdir()
    (lake / "stories" / "notes" / "readme.txt").write_text("not a run")
    for run_id in (running, done):
        _age_run(lake, run_id, 10)
    _age(lake / "stories" / "notes", 10)
    last = lake / "_system" / "runs" / "last.json"
    last.write_text(json.dumps({"run_id": running, "project": "kept", "state": "running", "selected": []}))
    plan = load_plan(project)
    plan = replace(plan, story=replace(plan.story, retention_days=1, retention_count=1))
    deleted = prune_runs(plan, Store.local(lake / "stories"), Store.local(lake / "_system"), current="now")
    assert deleted == [done]
    assert (lake / "stories" / running).is_dir() and (lake / "stories" / "notes" / "readme.txt").is_file()


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_retention_prunes_on_an_object_store(make_project, request, kind):
    prefix = f"retention-{uuid.uuid4().hex[:10]}"
    if kind == "s3":
        server = request.getfixturevalue("moto_s3")
        lake = S3_LAKE.format(bucket=BUCKET, prefix=prefix, endpoint=server.endpoint)
        bucket = open_spec(s3_spec(server.endpoint, prefix))
    else:
        server = request.getfixturevalue("azurite")
        lake = AZURE_LAKE.format(account=AZURITE_ACCOUNT, container=CONTAINER, prefix=prefix, endpoint=server.endpoint)
        bucket = open_spec(azure_spec(server.endpoint, prefix))
    text = PROJECT.replace("LAKE\n", f"  remote:\n{lake}\n").replace("RETENTION", "retention_count: 1")
    text = text.replace("{connection: lake, path: stories", "{connection: remote, path: stories")
    text = text.replace("{connection: lake, path: _system}", "{connection: remote, path: _system}")
    project = make_project(text, files={".env": "".join(f"{k}={v}\n" for k, v in SECRETS.items())})
    (project.parent / "lake").mkdir()
    first, second = run_project(project), run_project(project)
    assert first.ok and second.ok

    def names(path: str) -> set[str]:
        return {entry.name for entry in Store.of_connection(bucket, path).glob()}

    assert names("stories") == names("_system/intermediate") == {second.run_id}
    assert names("_system/runs") <= {second.run_id, "last.json"}
