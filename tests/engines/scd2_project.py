"""A small project shaped like Odibi's canonical SCD2 example (``transformer: scd2`` on a csv read, written
to parquet, Delta or SQLite), shared by the engine, Dagster and Airflow tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.engines import get_engine
from odibi_provider.plan.model import ReadSpec

PROJECT = """\
project: customer_history
engine: pandas
connections:
  bronze: {type: local, base_path: bronze}
  silver: OUT
system: {connection: state, path: _system}
story: {connection: state, path: stories}
pipelines:
  - pipeline: dimensions
    nodes:
      - name: dim_customer
        read: {connection: bronze, format: csv, path: customers.csv}
        transformer: scd2
        params:
          keys: [customer_id]
          track_cols: [email, tier]
          effective_time_col: updated_at
        write: {connection: silver, format: FORMAT, TARGET, mode: overwrite}
"""
FIRST = "customer_id,name,email,tier,updated_at\n1,Ann,ann@x.io,gold,2024-01-01\n2,Bob,bob@x.io,silver,2024-01-01\n"
# Bob changes tier (tracked), Ann's name changes (not tracked), Cy is new
SECOND = ("customer_id,name,email,tier,updated_at\n1,Annie,ann@x.io,gold,2024-02-01\n"
          "2,Bob,bob@x.io,gold,2024-02-01\n3,Cy,cy@x.io,bronze,2024-02-01\n")
TARGETS = [pytest.param("parquet", "path: dim_customer", id="parquet"),
           pytest.param("delta", "path: dim_customer", id="delta"),
           pytest.param("sql", "table: dim_customer", id="sqlite")]


def write_scd2_project(tmp_path: Path, fmt: str, target: str) -> Path:
    out = "{type: sql, url: 'sqlite:///silver.db'}" if fmt == "sql" else "{type: local, base_path: silver}"
    text = PROJECT.replace("OUT", out).replace("FORMAT", fmt).replace("TARGET", target)
    text = text.replace("connections:\n", "connections:\n  state: {type: local, base_path: state}\n")
    (tmp_path / "bronze").mkdir()
    (tmp_path / "bronze" / "customers.csv").write_text(FIRST)
    (tmp_path / "odibi.yaml").write_text(text)
    return tmp_path / "odibi.yaml"


def history(tmp_path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "sql":
        con = sqlite3.connect(tmp_path / "silver.db")
        con.row_factory = sqlite3.Row
        rows = [dict(r) for r in con.execute("SELECT * FROM dim_customer")]
    else:
        rows = get_engine("pandas").to_arrow(get_engine("pandas").read(
            ReadSpec("silver", fmt, path="dim_customer"), local(tmp_path))).to_pylist()
    for row in rows:
        row["is_current"] = bool(row["is_current"])
        row["valid_to"] = None if row["valid_to"] is None else str(row["valid_to"])[:10]
    return sorted(rows, key=lambda r: (r["customer_id"], str(r["updated_at"])))


def local(base: Path) -> Any:
    from odibi_provider.connections.local import LocalConnection

    return LocalConnection("silver", "silver", base)


EXPECTED_HISTORY = [
    (1, "gold", True, None, "Ann"),  # untracked change: the row is untouched
    (2, "silver", False, "2024-02-01", "Bob"),  # history row closed at the new effective time
    (2, "gold", True, None, "Bob"),  # new current version
    (3, "bronze", True, None, "Cy"),  # new key inserted
]


def summary(tmp_path: Path, fmt: str) -> list[tuple[Any, ...]]:
    """(customer_id, tier, is_current, valid_to date, name) per history row."""
    return [(r["customer_id"], r["tier"], r["is_current"], r["valid_to"], r["name"]) for r in history(tmp_path, fmt)]
