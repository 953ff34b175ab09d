"""A project shaped like Odibi's ``examples/validation_pipeline`` (own data): clean_text, the row tests that
quarantine (null key, duplicate key, bad enum, out of range, bad email), a custom_sql warning (dates out of
order), freshness at a logical time, quarantine metadata columns, and two gates on the same read: one that
passes and one that blocks. ``check`` asserts what every host must leave behind; the in-process, Dagster and
Airflow tests run it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

LOGICAL_TIME = "2026-04-01T00:00:00+00:00"
NODE = """
      - name: {name}
        read: {{connection: raw, format: csv, path: customers.csv}}
        transform:
          steps:
            - function: clean_text
              params: {{columns: [name], operations: [trim, lower]}}
        validation:
          tests:
            - {{type: not_null, columns: [id, name], on_fail: quarantine}}
            - {{type: unique, columns: [id], on_fail: quarantine}}
            - {{type: accepted_values, column: tier, values: [gold, silver, bronze], on_fail: quarantine}}
            - {{type: range, column: score, min: 0, max: 100, on_fail: quarantine}}
            - {{type: regex_match, column: email, pattern: "^[a-z]+@[a-z]+[.][a-z]+$", on_fail: quarantine}}
            - {{type: row_count, min: 1, max: 1000}}
            - {{type: freshness, column: last_seen, max_age: 720h}}
            - {{type: custom_sql, name: ordered_dates, condition: "signed_up <= last_seen", threshold: 0.01,
                on_fail: warn}}
          quarantine:
            connection: out
            path: {name}_quarantine
            add_columns: {{_rejection_reason: true, _rejected_at: true, _source_batch_id: true,
                           _failed_tests: true}}
          gate: {{require_pass_rate: {rate}, on_fail: abort}}
        write: {{connection: out, format: parquet, path: {name}}}
"""
PROJECT = """
project: shape
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {enabled: false}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    layer: silver
    nodes:
""" + NODE.format(name="customers", rate=0.7) + NODE.format(name="strict", rate=0.95)
ROWS = """\
id,name,email,tier,score,signed_up,last_seen
1, Ann Lee ,ann@x.io,gold,50,2026-03-01 08:00:00,2026-03-20 10:00:00
2,Bo Chan,bo@x.io,silver,20,2026-03-02 08:00:00,2026-03-21 10:00:00
,Cy Dee,cy@x.io,gold,30,2026-03-03 08:00:00,2026-03-22 10:00:00
4,Di Eve,di@x.io,platinum,40,2026-03-04 08:00:00,2026-03-23 10:00:00
5,Ed Fox,ed-at-x.io,gold,120,2026-03-05 08:00:00,2026-03-24 10:00:00
6,Fay Gun,not-an-email,silver,10,2026-03-06 08:00:00,2026-03-25 10:00:00
7,Gil Ho,gil@x.io,bronze,70,2026-03-27 08:00:00,2026-03-07 10:00:00
2,Hal Ivy,hal@x.io,gold,60,2026-03-08 08:00:00,2026-03-26 10:00:00
9,Ida Jo,ida@x.io,bronze,15,2026-03-09 08:00:00,2026-03-27 10:00:00
10, Jo Kay,jo@x.io,silver,90,2026-03-10 08:00:00,2026-03-28 10:00:00
"""
VALID = [(1, "ann lee"), (7, "gil ho"), (9, "ida jo"), (10, "jo kay")]  # 7: dates out of order, only a warning
QUARANTINED = [
    (None, "cy dee", "Failed: not_null_id_name"),
    (2, "bo chan", "Failed: unique_id"),
    (2, "hal ivy", "Failed: unique_id"),
    (4, "di eve", "Failed: accepted_values_tier"),
    (5, "ed fox", "Failed: range_score,regex_match_email"),
    (6, "fay gun", "Failed: regex_match_email"),
]
GATE_BLOCKED = "quality gate blocked the node: pass rate 75.0% (3 of 4 rows) is below the required 95.0%"


def write_project(root: Path) -> Path:
    """The project and its data under ``root``; the project file."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "customers.csv").write_text(ROWS, encoding="utf-8")
    (root / "odibi.yaml").write_text(PROJECT, encoding="utf-8")
    return root / "odibi.yaml"


def rows(root: Path, name: str) -> list[dict[str, Any]]:
    return ds.dataset(root / "out" / name, format="parquet").to_table().to_pylist()


def check(root: Path) -> None:
    """What every host leaves behind: the passing gate's node wrote the valid rows and quarantined the bad
    ones with Odibi's metadata columns; the blocked gate's node wrote neither."""
    assert sorted((r["id"], r["name"]) for r in rows(root, "customers")) == VALID
    moved = rows(root, "customers_quarantine")
    key = lambda r: (r[0] is not None, r[0] or 0, r[1])  # noqa: E731
    assert sorted(((r["id"], r["name"], r["_rejection_reason"]) for r in moved), key=key) == QUARANTINED
    assert all(r["_failed_tests"] == r["_rejection_reason"].removeprefix("Failed: ") for r in moved)
    assert len({r["_source_batch_id"] for r in moved}) == 1 and all(r["_rejected_at"] for r in moved)
    assert not (root / "out" / "strict").exists() and not (root / "out" / "strict_quarantine").exists()
