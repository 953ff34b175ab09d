"""The project's ``alerts:`` and ``lineage:`` under Airflow (``dag.test()``): alerts and OpenLineage events
reach local receivers, and the node operator answers Airflow's OpenLineage methods with the same names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk._shared.listeners import hookimpl

from odibi_provider.airflow import build_dag
from odibi_provider.hooks.alerts import THROTTLE
from odibi_provider.lineage.naming import openlineage_name
from tests.airflow.conftest import register, task_states
from tests.fixtures.receivers import receiver, write_project
from tests.hooks.test_lineage import LINEAGE_PATH, check_node_events


class LineageListener:
    """What Airflow's OpenLineage provider does: ask the finished task for its OpenLineage facets."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        self.found[task_instance.task_id] = task_instance.task.get_openlineage_facets_on_complete(task_instance)

    @hookimpl
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        self.found[task_instance.task_id] = task_instance.task.get_openlineage_facets_on_failure(task_instance)


def listening(listener: LineageListener) -> Any:
    from airflow.sdk.listener import get_listener_manager

    manager = get_listener_manager()
    manager.add_listener(listener)
    return manager


def test_alerts_lineage_and_operator_facets_under_dag_test(airflow_db: None, tmp_path: Path) -> None:
    THROTTLE.clear()
    listener = LineageListener()
    manager = listening(listener)
    try:
        with receiver() as server:
            blocks = (f"alerts:\n  - type: webhook\n    url: {server.url}/alert\n"
                      "    on_events: [on_failure, on_quarantine]\n"
                      f"lineage:\n  url: {server.url}\n  namespace: shop_ns\n")
            project = write_project(tmp_path, blocks, fail=True)
            dag_run = register(build_dag(project, "shop")).test()
            alerts = server.wait_for(lambda b: len([x for x in b if "event_type" in x]) >= 2)
            events = server.bodies(LINEAGE_PATH)
    finally:
        manager.pm.unregister(listener)
    assert {t: s for t, (s, _) in task_states(dag_run).items()} == {"load": "success", "totals": "failed"}
    assert sorted(a["event_type"] for a in alerts if "event_type" in a) == ["on_failure", "on_quarantine"]
    check_node_events(events, project)

    load, totals = listener.found["load"], listener.found["totals"]
    [output] = load.outputs
    assert (output.namespace, output.name) == ("x-odibi://shop", "local/bronze/orders.parquet")
    assert output.outputFacets["outputStatistics"].rowCount == 2
    assert [f.name for f in output.facets["schema"].fields] == ["id", "amount"]
    [asset_uri] = [d.uri for d in _plan(project).datasets if d.node_id == "shop.load"]
    assert openlineage_name(asset_uri) == (output.namespace, output.name)  # the Asset this task updates
    assert "no_such_column" in totals.job_facets["sql"].query
    assert "no_such_column" in totals.run_facets["errorMessage"].message


def _plan(project: Path) -> Any:
    from odibi_provider.plan.cache import load_plan

    return load_plan(project)
