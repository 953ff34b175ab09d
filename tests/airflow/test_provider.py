"""The provider as Airflow sees it: entry point, provider info, extra link, operator fields."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import odibi_provider
from odibi_provider.airflow import OdibiNodeOperator, OdibiStoryLink, get_provider_info
from odibi_provider.airflow.operators.node import odibi_run_id


def test_provider_info_matches_airflows_schema_and_the_package():
    import airflow
    import jsonschema

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == "odibi-provider" and info["versions"] == [odibi_provider.__version__]
    assert info["extra-links"] == ["odibi_provider.airflow.operators.links.OdibiStoryLink"]


def test_entry_point_registers_with_the_providers_manager():
    (entry,) = [e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("odibi_provider")]
    assert entry.load() is get_provider_info
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert manager.providers["odibi-provider"].version == odibi_provider.__version__
    assert "odibi_provider.airflow.operators.links.OdibiStoryLink" in manager.extra_links_class_names


def test_operator_templates_vars_and_rejects_a_bad_node_id():
    assert set(OdibiNodeOperator.template_fields) == {"env", "vars", "partition_key", "odibi_definition"}
    assert isinstance(OdibiNodeOperator.operator_extra_links[0], OdibiStoryLink)
    with pytest.raises(ValueError, match="node_id must be 'pipeline.node'"):
        OdibiNodeOperator(task_id="x", project_path="/p", node_id="orders")


def test_odibi_run_id_is_stable_and_path_safe():
    run_id = odibi_run_id("retail_silver", "manual__2026-01-01T00:00:00+00:00")
    assert run_id == odibi_run_id("retail_silver", "manual__2026-01-01T00:00:00+00:00")
    assert run_id != odibi_run_id("retail_gold", "manual__2026-01-01T00:00:00+00:00")
    assert run_id.startswith("retail_silver__manual__2026-01-01T00-00-00-00-00-") and "/" not in run_id
