"""A node's metadata is stored once per run: on its ASSET_MATERIALIZATION event, not repeated on STEP_OUTPUT."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.dagster import build_definitions
from tests.dagster.chain_project import chain
from tests.dagster.conftest import run_assets


def _metadata_by_event(result: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(event type, asset key or step output) -> the metadata that event carries."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for event in result.all_events:
        data = event.event_specific_data
        if event.event_type_value == "STEP_OUTPUT":
            found[("STEP_OUTPUT", f"{event.step_key}.{data.step_output_handle.output_name}")] = dict(data.metadata)
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            key = data.materialization.asset_key.to_user_string()
            found[("ASSET_MATERIALIZATION", key)] = dict(data.materialization.metadata)
    return found


@pytest.mark.parametrize("granularity", ["node", "pipeline"])
def test_each_metadata_entry_appears_once_on_the_materialization(make_project, granularity):
    result = run_assets(build_definitions(chain(make_project, 2, write_last=True), granularity=granularity))
    assert result.success
    events = _metadata_by_event(result)
    last = events[("ASSET_MATERIALIZATION", "p/n1")]
    assert last["dagster/row_count"].value == 1 and last["odibi/node"].value == "p.n1"
    assert {"dagster/column_schema", "odibi/story_record", "odibi/attempt", "dagster/uri"} <= set(last)
    assert "odibi/node" in events[("ASSET_MATERIALIZATION", "p/n0")]
    outputs = {output: meta for (kind, output), meta in events.items() if kind == "STEP_OUTPUT"}
    assert outputs, "the steps' output events are in the log"
    assert all(meta == {} for meta in outputs.values()), outputs
