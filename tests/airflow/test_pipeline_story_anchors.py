"""A pipeline task writes many datasets: each one's Asset event links to its own node's part of the run story
(found by benchmarks/airflow_live.py: every event of a pipeline task pointed at the last node to finish)."""

from __future__ import annotations

from odibi_provider.airflow import build_dag
from tests.airflow.conftest import register
from tests.airflow.test_pipeline_granularity import _project


def test_each_asset_event_links_to_its_own_node_story(airflow_db, tmp_path) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    root = _project(tmp_path / "p")
    dag_run = register(build_dag(root, "silver", dag_id="grain_story_anchors")).test()
    with create_session() as session:
        rows = session.execute(select(AssetModel.uri, AssetEvent.extra).join(AssetEvent.asset)
                               .where(AssetEvent.source_run_id == dag_run.run_id)).all()
    links = {uri.rsplit("/", 1)[-1]: extra["story"] for uri, extra in rows}
    assert set(links) == {"landed", "totals.parquet", "side.csv"}
    assert links["landed"].endswith("index.html#node-silver_landed")
    assert links["totals.parquet"].endswith("index.html#node-silver_totals")
    assert links["side.csv"].endswith("index.html#node-silver_side")
    assert len({link.partition("#")[0] for link in links.values()}) == 1  # the same run story
