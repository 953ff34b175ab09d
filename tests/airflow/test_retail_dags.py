"""The retail example through real Airflow: ``dag.test()`` of the DAGs in dags/ against ``run_project``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow.parquet as pq
import pytest

from odibi_provider.plan import load_plan
from odibi_provider.runner import run_project
from tests.airflow.conftest import DAGS, RETAIL, copy_retail, run_state, task_states, xcoms

PIPELINE_DAGS = ("retail_bronze", "retail_silver", "retail_gold")


def _asset_triggered_dags() -> set[str]:
    """The DAGs the scheduler would now start because their Assets were updated."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        _, triggered = DagModel.dags_needing_dagruns(session)
        return set(triggered)


@pytest.fixture(scope="module")
def bag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def runs(bag, tmp_path_factory):
    """bronze, silver, gold via dag.test() on the shared copy; what was asset-triggered after each."""
    results, triggered = {}, {}
    for dag_id in PIPELINE_DAGS:
        results[dag_id] = bag.dags[dag_id].test()
        triggered[dag_id] = _asset_triggered_dags()
    reference = copy_retail(tmp_path_factory.mktemp("reference") / "retail")
    return results, triggered, reference, run_project(reference, workers=2)


def _rows(path: Path) -> list[tuple]:
    if (path / "_delta_log").is_dir():
        from deltalake import DeltaTable

        table = DeltaTable(str(path)).to_pyarrow_table().to_pylist()
    elif path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as handle:
            table = list(csv.DictReader(handle))
    else:  # a parquet file, or a folder of parts (appends)
        table = pq.read_table(path).to_pylist()
    return sorted(tuple(sorted((k, str(v)) for k, v in row.items())) for row in table)


def test_every_task_succeeds(runs):
    results, _, _, reference = runs
    assert reference.ok, [(r.node_id, r.error) for r in reference.results if r.error]
    for dag_id, dag_run in results.items():
        states = task_states(dag_run)
        assert run_state(dag_run) == "success", (dag_id, states)
        assert all(state == "success" for state, _ in states.values()), states


def test_outputs_match_run_project(runs):
    """The parity test: every dataset (and the quarantine) equals the in-process run's."""
    _, _, reference, _ = runs
    plan = load_plan(RETAIL)
    paths = [RETAIL / str(plan.connection(d.connection).options["base_path"]) / str(d.path) for d in plan.datasets]
    paths.append(RETAIL / "output/lake/quarantine/orders.parquet")
    for path in paths:
        expected = reference / path.relative_to(RETAIL)
        assert _rows(path) == _rows(expected), path
    assert len(paths) == 9


def test_xcom_holds_small_metadata_and_the_story_link(runs):
    results, _, _, _ = runs
    values = xcoms(results["retail_silver"])
    meta = values[("orders", "return_value")]
    meta = json.loads(meta) if isinstance(meta, str) else meta
    assert meta["status"] == "warning", "quarantine tests set rows aside"
    assert meta["rows_written"] > 0 and meta["quarantined_rows"] > 0
    assert meta["uri"].endswith("/lake/silver/orders") and meta["story_path"].endswith("silver.orders.json")
    assert len(json.dumps(meta)) < 2_000, "never the data itself"
    link = values[("orders", "_link_OdibiStoryLink")]
    link = json.loads(link) if link.startswith('"') else link
    assert link.startswith("/odibi/stories/retail/") and link.endswith("index.html#node-silver_orders")
    assert (RETAIL / "output/lake/_stories" / unquote(urlsplit(link).path).split("/", 4)[4]).is_file()


def test_all_tasks_of_a_dag_run_share_one_odibi_run(runs):
    story_root = RETAIL / "output/lake/_stories"
    silver_runs = [p for p in story_root.iterdir() if p.name.startswith("retail_silver__")]
    assert len(silver_runs) == 1
    assert sorted(p.name for p in (silver_runs[0] / "nodes").glob("*.json")) == [
        "silver.customers.json", "silver.orders.json", "silver.products.json"]


def test_downstream_dags_are_triggered_by_upstream_assets(runs, bag):
    _, triggered, _, _ = runs
    silver = bag.dags["retail_silver"]
    assert {a.uri for a in silver.timetable.asset_condition.objects} == {
        o.uri for t in bag.dags["retail_bronze"].tasks for o in t.outlets}
    assert "retail_silver" in triggered["retail_bronze"]
    assert "retail_gold" in triggered["retail_silver"]


def test_a_hand_written_dag_with_task_groups_and_templated_vars(bag):
    dag = bag.dags["retail_hand_written"]
    assert not [t.task_id for t in dag.tasks if t.outlets]  # it must not trigger the generated retail DAGs
    dag_run = dag.test(logical_date=None)  # as `airflow dags trigger` runs it: no logical date, so no `ds`
    states = task_states(dag_run)
    assert all(state == "success" for state, _ in states.values()), states
    assert set(states) == {"start", "bronze.orders", "bronze.customers", "bronze.products", "clean.orders",
                           "clean.customers", "clean.products", "revenue_by_customer_day"}
    assert dag.task_dict["clean.orders"].upstream_task_ids == {"bronze.orders", "bronze.customers",
                                                               "bronze.products"}
