"""``format: api`` on the Spark engine (Sail): the pages arrive as one DataFrame, a failed page writes nothing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow.parquet as pq
import pytest

from odibi_provider import run_project
from tests.conftest import ProjectFactory
from tests.fixtures.api_server import ROWS, Api, Reply, offset_route, opts, project, serve_api

pytest.importorskip("pyspark")

OPTIONS = opts("""
    pagination: {type: offset_limit, offset_param: skip, limit_param: limit, limit: 3}
    response: {items_path: results, add_fields: {_source: demo}}
    http: {retries: {max_attempts: 2, backoff: {base_s: 0.01}}}
    """)


@pytest.fixture
def spark_api(sail_session: Any) -> Iterator[Api]:
    from tests.engines.conftest import spark_engine

    spark_engine(sail_session)
    with serve_api() as api:
        yield api


def test_pages_become_one_spark_frame(spark_api: Api, make_project: ProjectFactory) -> None:
    spark_api.routes["/items"] = offset_route
    file = make_project(project(spark_api, OPTIONS))
    result = run_project(file, engine="spark", workers=1)
    assert result.ok, [r.error for r in result.results]
    rows = sorted(pq.read_table(file.parent / "data" / "items.parquet").to_pylist(), key=lambda r: r["id"])
    assert rows == [{"id": r["id"], "name": r["name"], "meta_color": r["meta"]["color"], "_source": "demo"}
                    for r in ROWS]
    assert [q["skip"] for q in spark_api.queries("/items")] == ["0", "3", "6"]


def test_a_failing_page_fails_the_node_and_writes_nothing(spark_api: Api, make_project: ProjectFactory) -> None:
    def broken(query: Mapping[str, str], headers: Any) -> Reply:
        return (503, {}, {"error": "down"}) if query["skip"] == "3" else offset_route(query, headers)

    spark_api.routes["/items"] = broken
    file = make_project(project(spark_api, OPTIONS))
    result = run_project(file, engine="spark", workers=1)
    assert result.failed == ("ingest.items",)
    assert "page 2" in (result.results[0].error or "") and "HTTP 503" in (result.results[0].error or "")
    assert not (file.parent / "data" / "items.parquet").exists()


def test_no_records_is_a_warning_and_writes_nothing(spark_api: Api, make_project: ProjectFactory) -> None:
    spark_api.routes["/items"] = lambda q, h: (200, {}, {"results": []})
    file = make_project(project(spark_api, OPTIONS))
    result = run_project(file, engine="spark", workers=1)
    assert result.results[0].status == "warning" and not result.failed
    assert not (file.parent / "data" / "items.parquet").exists()
