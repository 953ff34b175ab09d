"""Plan -> task specs (pure): retries, Assets, schedules, groups and dependencies."""

from __future__ import annotations

import pytest

from odibi_provider.airflow.translator import AirflowTranslator, dag_spec, task_specs
from odibi_provider.errors import OdibiError
from odibi_provider.plan import compile_project

PROJECT = """
project: shop
owner: team@example.com
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
retry: {max_attempts: 3, backoff: exponential, delay_seconds: 2, max_delay_seconds: 30}
pipelines:
  - pipeline: land
    layer: bronze
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: lake, format: parquet, path: bronze/orders.parquet}
      - name: scratch
        read: {connection: raw, format: csv, path: orders.csv}
        retry: {max_attempts: 4, backoff: linear, delay_seconds: 5}
  - pipeline: clean
    layer: silver
    tags: [finance]
    nodes:
      - name: orders
        read: {connection: lake, format: parquet, path: bronze/orders.parquet}
        write: {connection: lake, format: parquet, path: silver/orders.parquet}
      - name: check
        depends_on: [orders]
        validation: {tests: [{type: row_count, min: 1}]}
      - name: summary
        depends_on: [orders]
        retry: {enabled: false}
        transform: {steps: ["SELECT count(*) AS n FROM df"]}
        write: {connection: lake, format: csv, path: silver/summary.csv}
  - pipeline: nightly
    layer: gold
    schedule: "0 3 * * *"
    nodes:
      - name: copy
        read: {connection: lake, format: parquet, path: silver/orders.parquet}
        write: {connection: lake, format: parquet, path: gold/orders.parquet}
"""


@pytest.fixture
def plan(make_project):
    return compile_project(make_project(PROJECT))


def _tasks(plan, pipeline):
    return {t.node_id: t for t in dag_spec(plan, pipeline).tasks}


def test_retry_maps_to_task_retries(plan):
    tasks = _tasks(plan, "land")
    assert tasks["land.orders"].retry_kwargs == {"retries": 2, "retry_delay": 2.0, "retry_exponential_backoff": 2.0,
                                                 "max_retry_delay": 30.0}
    assert tasks["land.scratch"].retry_kwargs == {"retries": 3, "retry_delay": 5.0, "retry_exponential_backoff": 0.0}


def test_validation_only_nodes_are_never_retried_and_no_retry_means_host_default(plan):
    tasks = _tasks(plan, "clean")
    assert tasks["clean.check"].retry_kwargs == {"retries": 0}
    assert tasks["clean.summary"].retry_kwargs == {}


def test_outlets_inlets_and_asset_schedule(plan):
    land, clean = dag_spec(plan, "land"), dag_spec(plan, "clean")
    bronze_orders = next(d.uri for d in plan.datasets if d.node_id == "land.orders")
    assert land.schedule is None and land.asset_schedule == ()
    assert {t.node_id: t.outlets for t in land.tasks}["land.orders"] == (bronze_orders,)
    assert clean.asset_schedule == (bronze_orders,) and clean.schedule is None
    assert {t.node_id: t.inlets for t in clean.tasks}["clean.orders"] == (bronze_orders,)


def test_own_schedule_wins_over_assets(plan):
    nightly = dag_spec(plan, "nightly")
    assert nightly.schedule == "0 3 * * *" and nightly.asset_schedule == ()
    assert nightly.tasks[0].inlets, "it still declares what it reads"


def test_ids_groups_dependencies_tags_owner(plan):
    spec = dag_spec(plan, "clean")
    assert spec.dag_id == "shop_clean"
    assert spec.groups == () and {t.group_id for t in spec.tasks} == {None}  # one layer: no group of one
    assert {t.node_id: t.upstream for t in spec.tasks} == {
        "clean.orders": (), "clean.check": ("clean.orders",), "clean.summary": ("clean.orders",)}
    assert spec.tags == ("odibi", "shop", "silver", "finance")
    assert {t.owner for t in spec.tasks} == {"team@example.com"}


def test_a_pipeline_reading_another_pipelines_unwritten_output_fails_with_a_fix(make_project):
    project = make_project("""
        project: p
        connections: {raw: {type: local, base_path: data}}
        pipelines:
          - pipeline: a
            nodes: [{name: load, read: {connection: raw, format: csv, path: x.csv}}]
          - pipeline: b
            nodes: [{name: use, inputs: {x: $a.load}, transform: {steps: ["SELECT * FROM x"]}}]
    """)
    plan = compile_project(project)
    with pytest.raises(OdibiError, match=r"node 'b.use' takes the output of 'a.load'.*Give 'a.load' a 'write'"):
        dag_spec(plan, "b")
    assert task_specs(plan, plan.pipeline("b").nodes, layer_groups=False)[0].inlets == ()


def test_one_method_overrides_one_attribute(plan):
    class Translator(AirflowTranslator):
        def get_task_id(self, node, plan):
            return node.name.upper()

        def get_group_id(self, node, plan):
            return None

    spec = dag_spec(plan, "land", Translator())
    assert [t.task_id for t in spec.tasks] == ["ORDERS", "SCRATCH"] and spec.groups == ()


def test_an_unknown_pipeline_is_named_with_a_suggestion(plan):
    with pytest.raises(OdibiError, match="project 'shop' has no pipeline 'claen'; did you mean 'clean'"):
        dag_spec(plan, "claen")
