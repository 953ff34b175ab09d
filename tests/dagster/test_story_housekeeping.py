"""Under Dagster the project's story keys apply too: ``auto_generate: false`` writes no HTML page and, when a
run ends (the run status sensors' ``finish_run``), retention prunes older runs."""

from __future__ import annotations

import dagster as dg

from odibi_provider.dagster import build_definitions
from odibi_provider.dagster.run_status import finish_run
from tests.dagster.conftest import run_assets
from tests.fixtures import free_text_project as fx


def test_auto_generate_off_and_retention_count_under_dagster(tmp_path):
    project = fx.write(tmp_path)
    project.write_text(project.read_text().replace("story: {connection: lake, path: stories}",
                                                   "story: {connection: lake, path: stories, "
                                                   "auto_generate: false, retention_count: 1}"))
    defs = build_definitions(project)
    odibi = defs.resources["odibi"]
    pipeline_of = {key: key.path[0] for key in defs.resolve_asset_graph().get_all_asset_keys()}
    stories = tmp_path / "lake" / "stories"
    with dg.instance_for_test() as instance:
        for _ in range(2):
            result = run_assets(defs, instance=instance)
            assert result.success
            finish_run(result.dagster_run, "pipeline_complete", plan=odibi.load_plan(), hooks=None, odibi=odibi,
                       pipeline_of=pipeline_of)
    runs = {p.name for p in stories.iterdir()}
    assert runs == {result.run_id}, "retention_count: 1 keeps the last run only"
    assert len(list((stories / result.run_id / "nodes").glob("*.json"))) == 2
    assert not list(stories.rglob("index.html")), "auto_generate: false writes no HTML page"
