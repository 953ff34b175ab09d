"""Translation is a pure function of the Plan: keys, groups, deps, kinds, checks, retries, partitions, jobs."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from odibi_provider.dagster import OdibiDagsterTranslator, build_definitions, build_job_args, build_odibi_asset_args
from odibi_provider.dagster.sensors import build_file_sensor_args
from odibi_provider.errors import OdibiError
from odibi_provider.plan import load_plan

SHAPES = """
project: shapes
owner: Data Team
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
  wh: {type: sql, url: "postgresql://odibi:${env:PG_PASSWORD}@db/warehouse"}
retry: {max_attempts: 3, backoff: linear, delay_seconds: 2}
pipelines:
  - pipeline: sales
    layer: bronze
    schedule: "0 6 * * *"
    nodes:
      - name: orders
        tags: [pii, "partition:daily:2026-01-01"]
        read: {connection: raw, format: csv, path: "landing/*.csv", incremental: {column: ts}}
        write: {connection: lake, format: parquet, path: bronze/orders.parquet}
  - pipeline: crm
    layer: bronze
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: crm_orders.csv}
        write: {connection: lake, format: delta, path: bronze/crm_orders}
  - pipeline: marts
    layer: gold
    nodes:
      - name: combined
        owner: analytics
        description: Both order feeds.
        inputs: {a: $sales.orders, b: $crm.orders}
        transform: {steps: ["SELECT * FROM a UNION ALL SELECT * FROM b"]}
        validation:
          tests:
            - {type: not_null, columns: [id], on_fail: fail}
            - {type: unique, columns: [id], on_fail: warn}
        write: {connection: wh, format: sql, table: marts.combined}
      - name: reread
        tags: ["automation:eager"]
        read: {connection: lake, format: delta, path: bronze/crm_orders}
        schedule: "*/15 * * * *"
        retry: {max_attempts: 1}
        write: {connection: lake, format: parquet, path: gold/reread.parquet}
"""


@pytest.fixture
def shapes(make_project) -> Path:
    return make_project(SHAPES)


@pytest.fixture
def args_by_node(shapes: Path) -> dict:
    return {a.node_id: a for a in build_odibi_asset_args(load_plan(shapes))}


def test_one_asset_per_node_keyed_by_pipeline(args_by_node):
    keys = {node: a.spec.key.to_user_string() for node, a in args_by_node.items()}
    assert keys == {"sales.orders": "sales/orders", "crm.orders": "crm/orders", "marts.combined": "marts/combined",
                    "marts.reread": "marts/reread"}
    assert {a.op_name for a in args_by_node.values()} == {"sales__orders", "crm__orders", "marts__combined",
                                                          "marts__reread"}


def test_groups_are_layers_and_deps_cross_pipelines(args_by_node):
    assert args_by_node["sales.orders"].spec.group_name == "bronze"
    assert args_by_node["marts.combined"].spec.group_name == "gold"
    deps = {n: sorted(d.asset_key.to_user_string() for d in a.spec.deps) for n, a in args_by_node.items()}
    assert deps["marts.combined"] == ["crm/orders", "sales/orders"]  # inputs from two other pipelines
    assert deps["marts.reread"] == ["crm/orders"]  # reads a dataset another pipeline writes


def test_kinds_owners_tags_code_version_and_metadata(shapes, args_by_node):
    plan = load_plan(shapes)
    combined, orders = args_by_node["marts.combined"].spec, args_by_node["sales.orders"].spec
    assert combined.kinds == {"duckdb", "postgres"}
    assert args_by_node["crm.orders"].spec.kinds == {"duckdb", "deltalake"}  # Dagster's kind (its icon)
    assert orders.kinds == {"duckdb", "parquet"}
    assert combined.owners == ["team:analytics"] and orders.owners == ["team:Data_Team"]
    assert {"pii", "partition_daily_2026-01-01"} <= set(orders.tags)
    assert combined.code_version == plan.node("marts.combined").content_hash
    assert combined.metadata["odibi/node"] == "marts.combined"
    assert combined.metadata["dagster/table_name"] == "marts.combined"
    assert orders.metadata["dagster/uri"].endswith("/lake/bronze/orders.parquet")
    assert "Both order feeds." in combined.description and "UNION ALL" in combined.description


def test_tests_become_checks_and_fail_blocks(args_by_node):
    checks = {spec.name: spec for spec in args_by_node["marts.combined"].check_specs}
    assert set(checks) == {"not_null_id", "unique_id"}
    assert checks["not_null_id"].blocking and not checks["unique_id"].blocking
    assert all(spec.asset_key == dg.AssetKey(["marts", "combined"]) for spec in checks.values())


def test_retry_becomes_a_retry_policy(args_by_node):
    policy = args_by_node["sales.orders"].retry_policy
    assert (policy.max_retries, policy.delay, policy.backoff) == (2, 2, dg.Backoff.LINEAR)
    assert args_by_node["marts.reread"].retry_policy is None  # max_attempts: 1


def test_partition_tag_and_automation_tag(args_by_node):
    partitions = args_by_node["sales.orders"].spec.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.get_first_partition_key() == "2026-01-01"
    assert args_by_node["marts.combined"].spec.partitions_def is None
    assert args_by_node["marts.reread"].spec.automation_condition is not None


def test_a_subclass_overrides_one_method(shapes):
    class ByPipeline(OdibiDagsterTranslator):
        def get_group_name(self, node, plan):
            return node.pipeline

    specs = {a.node_id: a.spec for a in build_odibi_asset_args(load_plan(shapes), translator=ByPipeline())}
    assert specs["marts.combined"].group_name == "marts"
    assert specs["marts.combined"].kinds == {"duckdb", "postgres"}  # everything else unchanged


def test_key_prefix_namespaces_keys_and_jobs(shapes):
    plan = load_plan(shapes)
    translator = OdibiDagsterTranslator(key_prefix=["shop"])
    asset_args = build_odibi_asset_args(plan, translator=translator)
    assert asset_args[0].spec.key.path[0] == "shop"
    assert {j.name for j in build_job_args(plan, asset_args, translator=translator)} >= {"shop__sales", "shop__marts"}


def test_jobs_per_pipeline_with_schedules(shapes, args_by_node):
    jobs = {j.name: j for j in build_job_args(load_plan(shapes), list(args_by_node.values()))}
    assert set(jobs) == {"sales", "crm", "marts", "marts__reread_job"}
    assert jobs["sales"].cron == "0 6 * * *" and jobs["sales"].partitions_def is not None
    assert jobs["marts__reread_job"].cron == "*/15 * * * *"
    assert jobs["marts"].keys == (dg.AssetKey(["marts", "combined"]), dg.AssetKey(["marts", "reread"]))


def test_a_glob_read_is_a_landing_zone(shapes, args_by_node):
    (sensor,) = build_file_sensor_args(load_plan(shapes), list(args_by_node.values()))
    assert (sensor.node_id, sensor.pattern, sensor.name) == ("sales.orders", "landing/*.csv", "sales__orders_new_files")
    assert sensor.keys == (dg.AssetKey(["sales", "orders"]),)  # descendants of another partitioning stay out


def test_the_whole_project_passes_dagster_validation(shapes):
    defs = build_definitions(shapes)
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    assert {s.name for s in repo.schedule_defs} == {"sales_schedule", "marts__reread_job_schedule"}
    assert {s.name for s in repo.sensor_defs} >= {"sales__orders_new_files", "odibi_pipeline_error"}


@pytest.mark.parametrize(("tag", "message"), [
    pytest.param("partition:yearly:2026-01-01", "unknown partitioning 'yearly'", id="unknown granularity"),
    pytest.param("partition:daily", "needs a start date", id="no start date"),
])
def test_bad_partition_tags_say_how_to_fix(make_project, tag, message):
    project = make_project(f"""
        project: bad
        connections: {{raw: {{type: local, base_path: data}}}}
        pipelines:
          - pipeline: p
            nodes:
              - name: n
                tags: ["{tag}"]
                read: {{connection: raw, format: csv, path: x.csv}}
        """)
    with pytest.raises(OdibiError, match=message):
        build_odibi_asset_args(load_plan(project))


def test_an_invalid_cron_names_its_pipeline(make_project):
    project = make_project("""
        project: bad
        connections: {raw: {type: local, base_path: data}}
        pipelines:
          - pipeline: p
            schedule: "every day"
            nodes:
              - name: n
                read: {connection: raw, format: csv, path: x.csv}
        """)
    with pytest.raises(OdibiError, match="pipeline 'p': schedule 'every day' is not a valid cron"):
        build_definitions(project)


def test_assets_link_to_the_node_in_the_project_yaml(make_project):
    project = make_project("""
        project: refs
        connections: {raw: {type: local, base_path: data}, lake: {type: local, base_path: lake}}
        pipelines:
          - pipeline: silver
            nodes:
              - name: first
                read: {connection: raw, format: csv, path: a.csv}
              - name: second
                depends_on: [first]
                write: {connection: lake, format: delta, path: second}
        """)
    from odibi_provider.dagster.assets import build_odibi_asset_args
    from odibi_provider.plan.cache import load_plan

    specs = {a.node_id: a.spec for a in build_odibi_asset_args(load_plan(project))}
    (ref,) = specs["silver.second"].metadata["dagster/code_references"].code_references
    assert (Path(ref.file_path), ref.line_number) == (project.resolve(), 9)
    assert specs["silver.second"].kinds == {"duckdb", "deltalake"}


def test_check_names_are_readable_and_unique(make_project):
    project = make_project("""
        project: names
        connections: {raw: {type: local, base_path: data}}
        pipelines:
          - pipeline: silver
            nodes:
              - name: orders
                read: {connection: raw, format: csv, path: a.csv}
                validation:
                  tests:
                    - {type: not_null, columns: [order_id, customer_id, quantity, order_ts]}
                    - {type: unique, columns: [order_id, line]}
                    - {type: row_count, min: 1}
                    - {type: row_count, max: 1000}
                    - {type: accepted_values, column: status, values: [a, b]}
        """)
    from odibi_provider.dagster.assets import build_odibi_asset_args
    from odibi_provider.plan.cache import load_plan

    (args,) = build_odibi_asset_args(load_plan(project))
    assert [spec.name for spec in args.check_specs] == [
        "not_null_order_id_and_3_more", "unique_order_id_line", "row_count", "row_count_2",
        "accepted_values_status"]


def test_odibi_explanations_reach_the_asset_description(make_project):
    project = make_project("""
        project: explained
        connections: {raw: {type: local, base_path: data}}
        pipelines:
          - pipeline: silver
            nodes:
              - name: orders
                explanation_file: docs/orders.md
                read: {connection: raw, format: csv, path: a.csv}
              - name: totals
                depends_on: [orders]
                explanation: "Sums **amount** per day."
                transform: {steps: ["SELECT 1 AS x FROM df"]}
        """, {"docs/orders.md": "# Orders\\nOne row per order line, *deduplicated*.\\n"})
    from odibi_provider.dagster.assets import build_odibi_asset_args
    from odibi_provider.plan.cache import load_plan

    specs = {a.node_id: a.spec for a in build_odibi_asset_args(load_plan(project))}
    assert "One row per order line, *deduplicated*." in specs["silver.orders"].description
    assert specs["silver.totals"].description.startswith("Sums **amount** per day.")
    (project.parent / "docs" / "orders.md").unlink()
    from odibi_provider.errors import ProjectError

    with pytest.raises(ProjectError, match=r"explanation_file 'docs/orders.md'"):
        load_plan(project)
