"""Odibi's ``write.skip_if_unchanged``: a snapshot that did not change is not appended again, on both engines
and under Dagster; a changed input, changed code, or a deleted target is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from odibi_provider.connections.local import LocalConnection
from odibi_provider.engines import get_engine
from odibi_provider.errors import ProjectError
from odibi_provider.plan.cache import compile_project
from odibi_provider.plan.model import ReadSpec
from odibi_provider.runner import run_project
from tests.engines.conftest import sail_session  # noqa: F401 (the session fixture, shared with engine tests)

PROJECT = """\
project: snap
connections:
  raw: {type: local, base_path: raw}
  out: {type: local, base_path: out}
pipelines:
  - pipeline: p
    nodes:
      - name: stores
        read: {connection: raw, format: csv, path: stores.csv}
        transform: {steps: ["SELECT id, name, region FROM df"]}
        write:
          connection: out
          format: parquet
          path: stores
          mode: append
          skip_if_unchanged: true
          HASHED
"""
ROWS = "id,name,region\n1,north store,N\n2,south store,S\n"
ENGINES = [pytest.param("embedded", id="embedded"), pytest.param("spark", id="spark")]


def _project(tmp_path: Path, hashed: str = "") -> Path:
    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / "stores.csv").write_text(ROWS)
    (tmp_path / "odibi.yaml").write_text(PROJECT.replace("HASHED", hashed))
    return tmp_path / "odibi.yaml"


def _run(request: pytest.FixtureRequest, project: Path, which: str) -> tuple[int | None, str | None]:
    if which == "spark":
        pytest.importorskip("pyspark")
        from tests.engines.conftest import spark_engine

        spark_engine(request.getfixturevalue("sail_session"))
    result = run_project(project, workers=1, engine="spark" if which == "spark" else None)
    assert result.ok, [(r.node_id, r.error) for r in result.results if r.error]
    node = result["p.stores"]
    return node.rows_written, node.write_skipped


def _rows(tmp_path: Path) -> int:
    engine = get_engine("pandas")
    return engine.count(engine.read(ReadSpec("out", "parquet", path="stores"),
                                    _local(tmp_path / "out")))


def _local(base: Path) -> LocalConnection:
    return LocalConnection("out", base, base)


@pytest.mark.parametrize("which", ENGINES)
def test_an_unchanged_snapshot_is_not_written_again(tmp_path: Path, request: pytest.FixtureRequest,
                                                    which: str) -> None:
    project = _project(tmp_path)
    assert _run(request, project, which) == (2, None)
    assert _run(request, project, which) == (0, "unchanged")
    assert _rows(tmp_path) == 2
    with open(tmp_path / "raw" / "stores.csv", "a", encoding="utf-8") as handle:
        handle.write("3,east store,E\n")
    assert _run(request, project, which) == (3, None)  # the content changed: appended
    assert _rows(tmp_path) == 5
    project.write_text(project.read_text().replace("SELECT id, name, region", "SELECT id, upper(name) AS name, region"))
    assert _run(request, project, which) == (3, None)  # the code changed: written
    shutil.rmtree(tmp_path / "out" / "stores")
    assert _run(request, project, which) == (3, None)  # the target is gone: written again


def test_only_the_hashed_columns_decide(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    project = _project(tmp_path, "skip_hash_columns: [id, region]\n          skip_hash_sort_columns: [id]")
    assert _run(request, project, "embedded") == (2, None)
    (tmp_path / "raw" / "stores.csv").write_text(ROWS.replace("north store", "North Store"))
    assert _run(request, project, "embedded") == (0, "unchanged")  # only `name` changed
    (tmp_path / "raw" / "stores.csv").write_text(ROWS.replace(",N\n", ",NW\n"))
    assert _run(request, project, "embedded") == (2, None)


def test_skip_keys_are_checked(tmp_path: Path) -> None:
    project = _project(tmp_path, "skip_hash_columns: [id]").read_text()
    (tmp_path / "odibi.yaml").write_text(project.replace("skip_if_unchanged: true", "skip_if_unchanged: false"))
    with pytest.raises(ProjectError, match="belong to skip_if_unchanged"):
        compile_project(tmp_path / "odibi.yaml")
    (tmp_path / "odibi.yaml").write_text(PROJECT.replace("HASHED", "").replace("mode: append", "mode: upsert\n"
                                                                                  "          merge_keys: [id]"))
    with pytest.raises(ProjectError, match="upsert write already changes only what differs"):
        compile_project(tmp_path / "odibi.yaml")


def test_dagster_shows_the_skipped_write(tmp_path: Path) -> None:
    from odibi_provider.dagster import build_definitions
    from tests.dagster.conftest import run_assets

    project = _project(tmp_path)
    run_assets(build_definitions(project))
    result = run_assets(build_definitions(project))
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["odibi/write_skipped"].value == "unchanged"
    assert _rows(tmp_path) == 2


def test_lineage_columns_do_not_count_as_a_change(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Odibi's snapshot example writes ``add_metadata: true`` with ``skip_if_unchanged``: ``_extracted_at``
    differs on every run, the data does not."""
    project = _project(tmp_path, "add_metadata: true")
    assert _run(request, project, "embedded") == (2, None)
    assert _run(request, project, "embedded") == (0, "unchanged")
