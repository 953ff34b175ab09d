"""A project whose name is free text materializes under Dagster; the story keeps the name as written."""

from __future__ import annotations

from odibi_provider.dagster import OdibiDagsterTranslator, build_definitions
from tests.dagster.conftest import run_assets
from tests.fixtures import free_text_project as fx


def test_free_text_project_materializes(tmp_path):
    project = fx.write(tmp_path)
    defs = build_definitions(project)
    result = run_assets(defs)
    assert result.success
    keys = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert keys == {"bronze/orders", "bronze/total"}
    assert (tmp_path / "lake" / "total.csv").read_text().split() == ["total", "30"]
    assert fx.story_titles(tmp_path) == {fx.NAME}


def test_the_slug_is_the_asset_key_prefix_when_projects_share_a_code_location(tmp_path):
    from odibi_provider.plan.naming import project_slug

    project = fx.write(tmp_path)
    translator = OdibiDagsterTranslator(key_prefix=[project_slug(fx.NAME)])
    result = run_assets(build_definitions(project, translator=translator))
    assert result.success
    keys = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert keys == {f"{fx.SLUG}/bronze/orders", f"{fx.SLUG}/bronze/total"}
    assert {j.name for j in build_definitions(project, translator=translator).resolve_all_job_defs()} >= {
        f"{fx.SLUG}__bronze"}
