"""In-process runs (``run_project``, ``odibi-provider run``): the story header and summary count every
node, skipped ones included, and the page shows each node's section."""

from __future__ import annotations

import json
from pathlib import Path

from odibi_provider.cli.main import main
from odibi_provider.runner import run_project

from .headers import attempts, header, summary
from .story_project import story_project


def test_run_project_story_header_counts_every_node(tmp_path: Path) -> None:
    run = run_project(story_project(tmp_path))
    run_dir = Path(run.story_html or "").parent
    assert summary(run_dir) == {"status": "failed", "completed": 3, "failed": 1, "skipped": 1, "nodes": 5}
    assert "story_demo failed" in header(run_dir) and "3 completed 1 failed 1 skipped 5 node(s)" in header(run_dir)
    assert attempts(run_dir, "bronze.customers") == "2 of 3 (1 retry)"
    lines = {n["node_id"]: n for n in json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["nodes"]}
    assert sorted(lines["silver.enriched"]["upstream"]) == ["bronze.customers", "bronze.orders"]  # the edges
    assert all(isinstance(line["started_at"], float) for line in lines.values())  # the timeline
    rows_in = {node: json.loads((run_dir / "nodes" / f"{node}.json").read_text(encoding="utf-8"))["rows_in"]
               for node in ("bronze.orders", "bronze.customers", "silver.enriched")}
    assert rows_in == {"bronze.orders": {"read": 4}, "bronze.customers": {"read": 2},  # read + tests, read + function
                       "silver.enriched": {"o": 3, "c": 2}}
    skipped = (run_dir / "nodes" / "silver.after_broken.json").read_text(encoding="utf-8")
    assert "upstream" in skipped and "silver.broken" in skipped  # why it did not run


def test_cli_run_story_header_counts_every_node(tmp_path: Path) -> None:
    assert main(["run", str(story_project(tmp_path))]) != 0
    (run_dir,) = (tmp_path / "out" / "stories").iterdir()
    assert summary(run_dir) == {"status": "failed", "completed": 3, "failed": 1, "skipped": 1, "nodes": 5}
    assert "3 completed 1 failed 1 skipped 5 node(s)" in header(run_dir)
