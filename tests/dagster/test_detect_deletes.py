"""Odibi's ``detect_deletes`` (snapshot_diff, soft delete) materialized by Dagster twice: the second run flags
the row missing from the source in the node's Delta target."""

from __future__ import annotations

from pathlib import Path

from odibi_provider.dagster import build_definitions
from tests.dagster.conftest import run_assets
from tests.engines.test_detect_deletes import SECOND, _project, _target


def test_detect_deletes_soft_delete_under_dagster(tmp_path: Path) -> None:
    project = _project(tmp_path, "mode: snapshot_diff\nkeys: [customer_id]")
    assert run_assets(build_definitions(project)).success
    (tmp_path / "bronze" / "customers.csv").write_text(SECOND)
    assert run_assets(build_definitions(project)).success
    assert [(r["customer_id"], r["_is_deleted"]) for r in _target(tmp_path)] == [
        (1, False), (2, False), (3, True), (4, False)]
