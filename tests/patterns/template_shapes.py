"""Small projects shaped like Odibi's ``odibi init --template star-schema`` and ``--template scd2`` (own names
and data): no ``engine:`` key, ``layer:`` on pipelines, csv reads with ``options: {header: true}``; the star
builds its dimensions in one pipeline and, in a second, re-declares them as read-only nodes of the same names
that the fact looks up (``orphan_handling: unknown``, ``audit``); the SCD2 one is ``pattern: dimension`` with
``scd_type: 2`` and ``target: <connection>.<path>`` on Delta. Shared by the in-process and host tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STAR = """\
project: shop_star
connections:
  landing: {type: local, base_path: ./landing}
  mart: {type: local, base_path: ./data/mart}
story: {connection: mart, path: stories}
system: {connection: mart, path: _system}
pipelines:
  - pipeline: dims
    layer: gold
    nodes:
      - name: dim_store
        read: {connection: landing, format: csv, path: stores.csv, options: {header: true}}
        pattern:
          type: dimension
          params: {natural_key: store_id, surrogate_key: store_sk, scd_type: 1, track_cols: [city],
                   unknown_member: true}
        write: {connection: mart, format: parquet, path: dim_store.parquet, mode: overwrite}
      - name: dim_day
        pattern:
          type: date_dimension
          params: {start_date: "2025-03-01", end_date: "2025-03-31", fiscal_year_start_month: 1,
                   unknown_member: true}
        write: {connection: mart, format: parquet, path: dim_day.parquet, mode: overwrite}
  - pipeline: facts
    layer: gold
    nodes:
      - name: dim_store
        read: {connection: mart, format: parquet, path: dim_store.parquet}
      - name: dim_day
        read: {connection: mart, format: parquet, path: dim_day.parquet}
      - name: fact_visits
        depends_on: [dim_store, dim_day]
        read: {connection: landing, format: csv, path: visits.csv, options: {header: true}}
        pattern:
          type: fact
          params:
            grain: [visit_id]
            dimensions:
              - {source_column: store_id, dimension_table: dim_store, dimension_key: store_id,
                 surrogate_key: store_sk}
              - {source_column: visit_date, dimension_table: dim_day, dimension_key: full_date,
                 surrogate_key: date_sk}
            orphan_handling: unknown
            measures: [spend]
            audit: {load_timestamp: true, source_system: "tills"}
        write: {connection: mart, format: parquet, path: fact_visits.parquet, mode: overwrite}
"""
STORES = "store_id,city,opened\nS1,Turku,2020-05-01\nS2,Bergen,2021-06-01\n"
VISITS = "visit_id,store_id,visit_date,spend\nV1,S1,2025-03-02,10.5\nV2,S2,2025-03-03,4.0\nV3,S9,2025-03-03,7.25\n"
EXPECTED_VISITS = [("V1", 1, 20250302, 10.5, "tills"), ("V2", 2, 20250303, 4.0, "tills"),
                   ("V3", 0, 20250303, 7.25, "tills")]  # S9 is not a store: the unknown member

SCD2 = """\
project: shop_members
connections:
  landing: {type: local, base_path: ./landing}
  core: {type: local, base_path: ./data/core}
story: {connection: core, path: stories}
system: {connection: core, path: _system}
pipelines:
  - pipeline: members
    layer: silver
    nodes:
      - name: dim_member
        read: {connection: landing, format: csv, path: members.csv}
        pattern:
          type: dimension
          params: {natural_key: member_id, surrogate_key: member_sk, scd_type: 2, track_cols: [level, town],
                   target: core.dim_member, unknown_member: true}
        write: {connection: core, format: delta, path: dim_member, mode: overwrite}
"""
MEMBERS = "member_id,level,town\n1,basic,Turku\n2,plus,Bergen\n"
MEMBERS_LATER = "member_id,level,town\n1,basic,Turku\n2,gold,Bergen\n3,basic,Oslo\n"
# (member_sk, member_id, level, is_current, open): 2's old level closed, the new one and member 3 current
EXPECTED_MEMBERS = [(0, -1, "Unknown", True, True), (1, 1, "basic", True, True), (2, 2, "plus", False, False),
                    (3, 2, "gold", True, True), (4, 3, "basic", True, True)]


def write_star_shape(root: Path) -> Path:
    (root / "landing").mkdir(parents=True, exist_ok=True)
    (root / "landing" / "stores.csv").write_text(STORES)
    (root / "landing" / "visits.csv").write_text(VISITS)
    (root / "odibi.yaml").write_text(STAR)
    return root / "odibi.yaml"


def write_scd2_shape(root: Path) -> Path:
    (root / "landing").mkdir(parents=True, exist_ok=True)
    (root / "landing" / "members.csv").write_text(MEMBERS)
    (root / "odibi.yaml").write_text(SCD2)
    return root / "odibi.yaml"


def visits(root: Path) -> list[tuple[Any, ...]]:
    import pyarrow.parquet as pq

    rows = pq.read_table(root / "data" / "mart" / "fact_visits.parquet").to_pylist()
    return sorted((r["visit_id"], r["store_sk"], r["date_sk"], r["spend"], r["source_system"]) for r in rows)


def members(root: Path) -> list[tuple[Any, ...]]:
    import deltalake

    rows = deltalake.DeltaTable(str(root / "data" / "core" / "dim_member")).to_pyarrow_table().to_pylist()
    return sorted((r["member_sk"], r["member_id"], r["level"], r["is_current"], r["valid_to"] is None) for r in rows)
