"""SQL writes (SQLite and PostgreSQL): the schema-drift policy, and upsert / append_once matching keys
(null keys match null keys) with the index-friendly matching that keeps upserts fast."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.engines.schema_drift import SchemaDriftError
from odibi_provider.plan.model import ReadSpec, WriteSpec

FIRST = pa.table({"id": [1, 2], "amount": [10, 20], "region": ["eu", "us"]})


def test_sql_refuses_drift_with_the_same_message(sql_db: Any) -> None:
    from odibi_provider.engines.embedded.readers import read_table
    from odibi_provider.engines.embedded.writers import write_table

    write_table(FIRST, WriteSpec(sql_db.name, "sql", table="orders"), sql_db, write_id="r1", con=None)
    drifted = pa.table({"id": [3], "amount": ["a lot"], "channel": ["web"]})
    with pytest.raises(SchemaDriftError, match=r"column 'amount': the dataset has BIGINT, the data has TEXT "
                                               r"\(type changed\)[\s\S]*column 'region' \(\w+\): in the dataset, "
                                               r"missing[\s\S]*column 'channel' \(TEXT\): new in the data"):
        write_table(drifted, WriteSpec(sql_db.name, "sql", table="orders", mode="append"), sql_db, write_id="r2",
                    con=None)
    write_table(pa.table({"id": [3], "channel": ["web"]}),
                WriteSpec(sql_db.name, "sql", table="orders", mode="append", merge_schema=True), sql_db,
                write_id="r3", con=None)
    rows = read_table(ReadSpec(sql_db.name, "sql", table="orders"), sql_db, None).to_pylist()
    assert sorted((r["id"], r["amount"], r["region"], r["channel"]) for r in rows) == [
        (1, 10, "eu", None), (2, 20, "us", None), (3, None, None, "web")]


def test_upsert_and_append_once_match_keys_null_safely(sql_db: Any) -> None:
    n = 2_000
    old = pa.table({"k1": [i % 50 if i % 7 else None for i in range(n)], "k2": [str(i) for i in range(n)],
                    "v": ["old"] * n})
    new = pa.table({"k1": [i % 50 if i % 7 else None for i in range(0, 2 * n, 2)],
                    "k2": [str(i) for i in range(0, 2 * n, 2)], "v": ["new"] * n})
    expected = {(k1, k2): "old" for k1, k2 in zip(old["k1"].to_pylist(), old["k2"].to_pylist(), strict=True)}
    once = dict(expected)
    for k1, k2 in zip(new["k1"].to_pylist(), new["k2"].to_pylist(), strict=True):
        expected[(k1, k2)] = "new"
        once.setdefault((k1, k2), "new")
    for mode, wanted, written in (("upsert", expected, n), ("append_once", once, len(once) - n)):
        spec = WriteSpec(sql_db.name, "sql", table=f"t_{mode}", mode=mode, keys=("k1", "k2"))
        write_table(old, WriteSpec(sql_db.name, "sql", table=f"t_{mode}"), sql_db, write_id="r1", con=None)
        assert write_table(new, spec, sql_db, write_id="r2", con=None).rows_written == written
        rows = read_table(ReadSpec(sql_db.name, "sql", table=f"t_{mode}"), sql_db, None).to_pylist()
        assert len(rows) == len(wanted)
        assert {(r["k1"], r["k2"]): r["v"] for r in rows} == wanted
