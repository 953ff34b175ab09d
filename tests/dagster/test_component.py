"""OdibiProjectComponent: a defs.yaml adds an odibi project to a dg project; several projects coexist."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml
from dagster.components.testing import create_defs_folder_sandbox

from odibi_provider.dagster import OdibiProjectComponent
from tests.conftest import REPO
from tests.dagster.conftest import run_assets

SAMPLE = REPO / "definitions" / "components" / "retail" / "defs.yaml"


def _defs_yaml(project: Path, **attributes: object) -> dict:
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    sample["attributes"] = {**sample["attributes"], "project": str(project), **attributes}
    return sample


def test_the_sample_defs_yaml_points_at_the_example():
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    assert sample["type"] == "odibi_provider.dagster.OdibiProjectComponent"
    assert (SAMPLE.parent / sample["attributes"]["project"] / "odibi.yaml").resolve().is_file()


def test_a_defs_yaml_loads_the_project(retail_project):
    with create_defs_folder_sandbox() as sandbox:
        path = sandbox.scaffold_component(OdibiProjectComponent, defs_path="retail",
                                          defs_yaml_contents=_defs_yaml(retail_project))
        with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
            assert isinstance(component, OdibiProjectComponent)
            keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
            assert "gold/revenue_by_customer_day" in keys and len(keys) == 8 + 3  # nodes and raw inputs
            assert run_assets(defs, ["bronze/products"]).success


def test_two_projects_in_one_location(retail_project):
    with create_defs_folder_sandbox() as sandbox:
        for name in ("east", "west"):
            sandbox.scaffold_component(OdibiProjectComponent, defs_path=name, defs_yaml_contents=_defs_yaml(
                retail_project, key_prefix=[name], resource_key=f"odibi_{name}"))
        with sandbox.build_all_defs() as defs:
            dg.Definitions.validate_loadable(defs)
            keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
            assert {"east/gold/top_products", "west/gold/top_products"} <= keys
            assert {"east__gold", "west__gold"} <= {job.name for job in defs.jobs}


def test_a_defs_yaml_can_run_each_pipeline_as_one_step(retail_project):
    with create_defs_folder_sandbox() as sandbox:
        path = sandbox.scaffold_component(OdibiProjectComponent, defs_path="retail",
                                          defs_yaml_contents=_defs_yaml(retail_project, granularity="pipeline"))
        with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
            ops = {n.name for n in defs.resolve_implicit_global_asset_job_def().graph.node_defs}
            assert ops == {"bronze", "silver", "gold"}
            result = run_assets(defs)
            assert result.success
            assert len(result.get_asset_materialization_events()) == 8  # still one per node
