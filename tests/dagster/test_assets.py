"""The retail example under Dagster's in-process executor: every node an asset, the same data as run_project."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from odibi_provider.engines import get_engine
from odibi_provider.plan import load_plan
from odibi_provider.plan.model import ReadSpec
from odibi_provider.runner import RunContext, run_project
from tests.dagster.conftest import copy_example, run_assets, steps

ALL_STEPS = ["bronze__customers", "bronze__orders", "bronze__products", "gold__revenue_by_customer_day",
             "gold__top_products", "silver__customers", "silver__orders", "silver__products"]


def _datasets(project: Path) -> dict[str, pd.DataFrame]:
    """Every dataset the project writes, read back through the engine, sorted for comparison."""
    plan = load_plan(project)
    ctx, engine = RunContext(plan=plan), get_engine("pandas")
    out = {}
    for node in plan.nodes:
        write = node.write
        spec = ReadSpec(connection=write.connection, format=write.format, path=write.path, table=write.table)
        frame = engine.to_pandas(engine.read(spec, ctx.connection(write.connection)))
        out[node.id] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def test_materializes_every_node_once(retail_run, recorder, retail_project):
    assert steps(retail_run) == ALL_STEPS
    assert sorted(recorder.nodes()) == sorted(s.replace("__", ".") for s in ALL_STEPS)
    assert (retail_project / "output/lake/gold/revenue_by_customer_day.parquet").is_file()
    assert (retail_project / "output/lake/gold/top_products.csv").is_file()


def test_outputs_match_run_project(retail_run, retail_project, tmp_path):
    """Parity: the same project run in-process by run_project writes identical datasets."""
    standalone = copy_example(tmp_path / "retail")
    assert run_project(standalone).ok
    dagster_data, local_data = _datasets(retail_project), _datasets(standalone)
    assert dagster_data.keys() == local_data.keys()
    for node_id, frame in local_data.items():
        pd.testing.assert_frame_equal(dagster_data[node_id], frame, obj=node_id)


def test_materialization_metadata(retail_run):
    events = {e.asset_key.to_user_string(): e.materialization.metadata
              for e in retail_run.get_asset_materialization_events()}
    meta = events["gold/revenue_by_customer_day"]
    assert meta["dagster/row_count"].value > 0
    columns = [c.name for c in meta["dagster/column_schema"].value.columns]
    assert columns == ["customer_id", "customer_name", "order_date", "orders", "revenue"]
    assert meta["dagster/uri"].value.endswith("gold/revenue_by_customer_day.parquet")
    assert meta["odibi/preview"].value.startswith("| customer_id | customer_name |")
    assert meta["odibi/story_record"].value["node_id"] == "gold.revenue_by_customer_day"
    story = Path(meta["odibi/story"].value)
    assert story.name == "index.html" and story.is_file()
    assert "revenue_by_customer_day" in story.read_text(encoding="utf-8")
    assert "***" in events["silver/customers"]["odibi/preview"].value  # sensitive columns stay masked


def test_validation_tests_are_asset_checks(retail_run):
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e
                   for e in retail_run.get_asset_check_evaluations()}
    assert evaluations[("silver/customers", "unique_customer_id")].passed
    warned = evaluations[("silver/customers", "regex_match_email")]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert warned.metadata["failed_rows"].value == 1
    assert evaluations[("silver/orders", "unique_order_id")].passed
    assert not evaluations[("silver/orders", "range_quantity")].passed  # quarantine: warn, rows set aside
    assert evaluations[("gold/revenue_by_customer_day", "row_count")].passed


def test_odibi_events_appear_in_the_dagster_log(retail_defs, recorder, retail_run):
    instance = dg.DagsterInstance.ephemeral()
    result = run_assets(retail_defs, ["bronze/products"], instance=instance)
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(m.startswith("odibi node_complete bronze.products: rows=20") for m in messages)
    assert not any(m.startswith("odibi node_start") for m in messages), "Dagster's STEP_START says it"


def test_a_selection_runs_only_the_selected_assets(retail_defs, recorder, retail_run):
    """Re-executing one asset does not run its ancestors: its inputs come from persisted datasets."""
    recorder.clear()
    result = run_assets(retail_defs, ["gold/top_products"])
    assert result.success and steps(result) == ["gold__top_products"]
    assert recorder.nodes() == ["gold.top_products"]
    recorder.clear()
    result = dg.materialize(retail_defs.assets, resources=retail_defs.resources,
                            selection='key:"silver/products" or key:"silver/customers"')
    assert result.success and sorted(recorder.nodes()) == ["silver.customers", "silver.products"]


def test_a_user_asset_receives_an_odibi_asset_as_a_dataframe(retail_defs, retail_run):
    @dg.asset(ins={"revenue": dg.AssetIn(key=["gold", "revenue_by_customer_day"])})
    def revenue_report(revenue: pd.DataFrame) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"rows": len(revenue), "total": float(revenue["revenue"].sum())})

    defs = dg.Definitions.merge(retail_defs, dg.Definitions(assets=[revenue_report]))
    result = run_assets(defs, ["revenue_report"])
    assert result.success
    (event,) = result.get_asset_materialization_events()
    expected = retail_run.get_asset_materialization_events()
    rows = next(e for e in expected if e.asset_key == dg.AssetKey(["gold", "revenue_by_customer_day"]))
    assert event.materialization.metadata["rows"].value == rows.materialization.metadata["dagster/row_count"].value


def test_definitions_expose_groups_and_jobs(retail_defs):
    graph = retail_defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {"bronze/customers": "bronze", "bronze/orders": "bronze", "bronze/products": "bronze",
                      "silver/customers": "silver", "silver/orders": "silver", "silver/products": "silver",
                      "gold/revenue_by_customer_day": "gold", "gold/top_products": "gold",
                      "source/raw/customers_json": "sources", "source/raw/orders_csv": "sources",
                      "source/raw/products_parquet": "sources"}
    assert {job.name for job in retail_defs.jobs} == {"bronze", "silver", "gold"}
    orders = graph.get(dg.AssetKey(["source", "raw", "orders_csv"]))
    assert not orders.is_materializable and orders.metadata["dagster/uri"] == "x-odibi://retail/raw/orders.csv"
    assert dg.AssetKey(["source", "raw", "orders_csv"]) in graph.get(dg.AssetKey(["bronze", "orders"])).parent_keys


def test_metadata_comes_from_the_node_record_even_without_stories(make_project):
    from odibi_provider.dagster import build_definitions

    project = make_project("""
        project: quiet
        connections:
          raw: {type: local, base_path: data}
          lake: {type: local, base_path: lake}
        story: {enabled: false}
        pipelines:
          - pipeline: p
            nodes:
              - name: orders
                read: {connection: raw, format: csv, path: orders.csv}
                transformer: derive_columns
                params: {derivations: {double: "amount * 2"}}
                validation: {tests: [{type: not_null, columns: [amount], on_fail: warn}]}
                write: {connection: lake, format: parquet, path: orders.parquet}
    """, files={"data/orders.csv": "id,amount\n1,2.5\n2,\n"})
    result = run_assets(build_definitions(project))
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert [c.name for c in meta["dagster/column_schema"].value.columns] == ["id", "amount", "double"]
    assert meta["dagster/row_count"].value == 2
    record = meta["odibi/story_record"].value
    assert record["steps"][0]["kind"] == "transformer" and record["steps"][0]["params"]["derivations"]
    assert record["validation"][0]["failed_rows"] == 1
    assert "odibi/story" not in meta
    assert not list(project.parent.rglob("*.html"))
