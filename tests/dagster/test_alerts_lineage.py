"""The project's ``alerts:`` and ``lineage:`` under Dagster: the same alerts and OpenLineage events reach
local receivers when the assets are materialized, and a failing node fails only its own asset."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from odibi_provider.dagster import build_definitions
from odibi_provider.hooks.alerts import THROTTLE
from tests.dagster.conftest import run_assets, steps
from tests.fixtures.receivers import receiver, write_project
from tests.hooks.test_lineage import LINEAGE_PATH, check_node_events


def test_alerts_and_lineage_fire_when_assets_materialize(tmp_path: Path) -> None:
    THROTTLE.clear()
    with receiver() as server:
        blocks = (f"alerts:\n  - type: webhook\n    url: {server.url}/alert\n"
                  "    on_events: [on_failure, on_quarantine]\n"
                  f"lineage:\n  url: {server.url}\n  namespace: shop_ns\n")
        project = write_project(tmp_path, blocks, fail=True)
        result = run_assets(build_definitions(project))
        alerts = server.wait_for(lambda b: len([x for x in b if "event_type" in x]) >= 2)
        events = server.bodies(LINEAGE_PATH)
    assert steps(result, "STEP_FAILURE") == ["shop__totals"]
    assert sorted(a["event_type"] for a in alerts if "event_type" in a) == ["on_failure", "on_quarantine"]
    check_node_events(events, project)


def test_a_finished_run_sends_on_success_and_the_pipeline_run_event(tmp_path: Path) -> None:
    THROTTLE.clear()
    with receiver() as server:
        blocks = (f"alerts:\n  - type: webhook\n    url: {server.url}/alert\n    on_events: [on_success]\n"
                  f"lineage:\n  url: {server.url}\n")
        defs = build_definitions(write_project(tmp_path, blocks))
        with dg.instance_for_test() as instance:
            result = run_assets(defs, instance=instance)
            assert result.success
            run = instance.get_run_by_id(result.run_id)
            records = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records
            context = dg.build_run_status_sensor_context(
                sensor_name="odibi_pipeline_complete", dagster_event=records[0].event_log_entry.dagster_event,
                dagster_instance=instance, dagster_run=run)
            defs.resolve_sensor_def("odibi_pipeline_complete")(context)
        bodies = server.wait_for(lambda b: any("event_type" in x for x in b))
        pipeline_runs = [e for e in server.bodies(LINEAGE_PATH) if e["job"]["name"] == "shop"]
    [alert] = [b for b in bodies if "event_type" in b]
    assert (alert["event_type"], alert["pipeline"], alert["status"]) == ("on_success", "shop", "SUCCESS")
    assert [e["eventType"] for e in pipeline_runs] == ["COMPLETE"]
    node_parent = next(e for e in server.bodies(LINEAGE_PATH) if e["job"]["name"] == "shop.load")
    assert node_parent["run"]["facets"]["parent"]["run"]["runId"] == pipeline_runs[0]["run"]["runId"]
