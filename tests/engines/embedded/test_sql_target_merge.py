"""``write.mode`` merge and scd2 into SQL tables (SQLite and PostgreSQL): applied by the database to the rows
that change, so rows the source does not touch stay where they are (a fact's foreign keys keep holding), the
write reports the rows it changed, and a table with a unique key takes ``INSERT ... ON CONFLICT``. SQL Server's
``MERGE`` cannot run here: its statement text is checked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlalchemy as sa

from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec

TARGET = pa.table({"id": [1, 2, 3], "v": [10, 20, 30], "deleted": [False, False, False]})
SOURCE = pa.table({"id": [1, 2, 4, 5], "v": [11, 5, 40, 50], "deleted": [False, False, False, True]})
_DUCK = duckdb.connect(":memory:")  # what the engine hands to writers (a SQL target does not need it)


def _merge(db: Any, source: pa.Table, write_id: str, **params: Any) -> Any:
    spec = WriteSpec(db.name, "sql", table="dim", mode="merge", keys=("id",),
                     operation=FrozenMap({"keys": ["id"], **params}))
    return write_table(source, spec, db, write_id=write_id, con=_DUCK)


def _values(db: Any, name: str = "dim") -> dict[int, int]:
    rows = read_table(ReadSpec(db.name, "sql", table=name), db, None).to_pylist()
    return {r["id"]: r["v"] for r in rows}


def _qualified(db: Any, name: str) -> str:
    return f'"{db.schema}"."{name}"' if db.schema else f'"{name}"'


def _execute(db: Any, *statements: str) -> None:
    with db.engine().begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


@pytest.mark.parametrize("params, expected, changed", [
    pytest.param({}, {1: 11, 2: 5, 3: 30, 4: 40, 5: 50}, 4, id="upsert"),
    pytest.param({"strategy": "append_only"}, {1: 10, 2: 20, 3: 30, 4: 40, 5: 50}, 2, id="append_only"),
    pytest.param({"strategy": "delete_match"}, {3: 30}, 2, id="delete_match"),
    pytest.param({"update_condition": "source.v > target.v", "insert_condition": "source.deleted = false"},
                 {1: 11, 2: 20, 3: 30, 4: 40}, 2, id="conditions"),
    pytest.param({"update_condition": "source.v > target.v AND '10:00 :x' LIKE '%:x'"},
                 {1: 11, 2: 20, 3: 30, 4: 40, 5: 50}, 3, id="a condition with colons and percent signs as written"),
    pytest.param({"delete_condition": "source.v < target.v", "update_condition": "source.v > 100"},
                 {1: 10, 3: 30, 4: 40, 5: 50}, 3, id="delete_condition"),
])
def test_merge_changes_only_the_matched_rows_and_reports_them(sql_db: Any, params: dict[str, Any],
                                                              expected: dict[int, int], changed: int) -> None:
    write_table(TARGET, WriteSpec(sql_db.name, "sql", table="dim"), sql_db, write_id="r0", con=_DUCK)
    outcome = _merge(sql_db, SOURCE, "r1", **params)
    assert (outcome.rows_written, _values(sql_db)) == (changed, expected)
    again = _merge(sql_db, SOURCE, "r1", **params)  # a retry of the same write changes nothing
    assert again.skipped and _values(sql_db) == expected


@pytest.mark.parametrize("strategy, expected", [("upsert", {1: 11, 2: 5, 3: 30, 4: 40, 5: 50}),
                                                ("append_only", {1: 10, 2: 20, 3: 30, 4: 40, 5: 50})])
def test_merge_into_a_table_with_a_primary_key_upserts_on_conflict(sql_db: Any, strategy: str,
                                                                  expected: dict[int, int]) -> None:
    created = sa.Column("created_at", sa.DateTime)
    dim = sa.Table("dim", sa.MetaData(), sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("v", sa.BigInteger),
                   sa.Column("deleted", sa.Boolean), created, schema=sql_db.schema)
    statements: list[str] = []
    with sql_db.engine().begin() as conn:
        dim.create(conn)
        old = dt.datetime(2020, 1, 1)
        conn.execute(sa.insert(dim), [{**r, "created_at": old} for r in TARGET.to_pylist()])
    sa.event.listen(sql_db.engine(), "before_cursor_execute", lambda conn, cursor, s, *a: statements.append(s))
    outcome = _merge(sql_db, SOURCE, "r1", strategy=strategy, audit_cols={"created_col": "created_at"})
    assert (outcome.rows_written, _values(sql_db)) == (4 if strategy == "upsert" else 2, expected)
    assert any("ON CONFLICT" in s for s in statements)
    rows = read_table(ReadSpec(sql_db.name, "sql", table="dim"), sql_db, None).to_pylist()
    assert {r["id"] for r in rows if r["created_at"] == old} == {1, 2, 3}  # updates keep the created time


def test_merge_into_a_dimension_that_facts_reference(postgres: Any, pg_schema: str) -> None:
    db = _postgres(postgres, pg_schema)
    _execute(db, f"CREATE TABLE {_qualified(db, 'dim')} (id BIGINT PRIMARY KEY, v BIGINT, deleted BOOLEAN)",
             f"INSERT INTO {_qualified(db, 'dim')} VALUES (1, 10, false), (2, 20, false), (3, 30, false)",
             f"CREATE TABLE {_qualified(db, 'fact')} (id BIGINT REFERENCES {_qualified(db, 'dim')} (id), amount INT)",
             f"INSERT INTO {_qualified(db, 'fact')} VALUES (1, 100), (3, 300)")
    outcome = _merge(db, SOURCE, "r1", update_condition="source.v > target.v")
    assert (outcome.rows_written, _values(db)) == (3, {1: 11, 2: 20, 3: 30, 4: 40, 5: 50})
    db.dispose()


def test_scd2_into_a_dimension_that_facts_reference(postgres: Any, pg_schema: str) -> None:
    db = _postgres(postgres, pg_schema)
    dim = _qualified(db, "dim_customer")
    _execute(db, f"CREATE TABLE {dim} (customer_id BIGINT, tier TEXT, updated_at DATE, valid_to TIMESTAMP, "
                 "is_current BOOLEAN, PRIMARY KEY (customer_id, updated_at))",
             f"INSERT INTO {dim} VALUES (1, 'gold', '2024-01-01', NULL, true), (2, 'silver', '2024-01-01', NULL, true)",
             f"CREATE TABLE {_qualified(db, 'sales')} (customer_id BIGINT, updated_at DATE, amount INT, "
             f"FOREIGN KEY (customer_id, updated_at) REFERENCES {dim} (customer_id, updated_at))",
             f"INSERT INTO {_qualified(db, 'sales')} VALUES (1, '2024-01-01', 5), (2, '2024-01-01', 7)")
    spec = WriteSpec(db.name, "sql", table="dim_customer", mode="scd2", keys=("customer_id",), operation=FrozenMap(
        {"keys": ["customer_id"], "track_cols": ["tier"], "effective_time_col": "updated_at"}))
    feb = dt.date(2024, 2, 1)
    source = pa.table({"customer_id": [1, 2, 3], "tier": ["gold", "gold", "bronze"], "updated_at": [feb] * 3})
    outcome = write_table(source, spec, db, write_id="r1", con=_DUCK)
    rows = read_table(ReadSpec(db.name, "sql", table="dim_customer"), db, None).to_pylist()
    history = sorted((r["customer_id"], r["tier"], r["is_current"], r["valid_to"]) for r in rows)
    assert history == [(1, "gold", True, None), (2, "gold", True, None),
                       (2, "silver", False, dt.datetime(2024, 2, 1)), (3, "bronze", True, None)]
    assert outcome.rows_written == 3  # one version closed, two inserted
    db.dispose()


def test_scd2_first_load_and_change_in_sql(sql_db: Any) -> None:
    spec = WriteSpec(sql_db.name, "sql", table="dim", mode="scd2", keys=("id",), operation=FrozenMap(
        {"keys": ["id"], "track_cols": ["v"], "effective_time_col": "at", "delete_col": "gone"}))
    jan, mar = dt.datetime(2024, 1, 1, 8, 30), dt.datetime(2024, 3, 1, 9, 15, 30, 250000)
    first = write_table(pa.table({"id": [1, 2, 3], "v": [1, 2, 3], "at": [jan] * 3, "gone": [False] * 3}), spec,
                        sql_db, write_id="r1", con=_DUCK)
    second = write_table(pa.table({"id": [1, 2, 3], "v": [1, 3, 3], "at": [mar] * 3, "gone": [True, False, False]}),
                         spec, sql_db, write_id="r2", con=_DUCK)
    rows = read_table(ReadSpec(sql_db.name, "sql", table="dim"), sql_db, None).to_pylist()
    state = sorted((r["id"], r["v"], r["is_current"], r["valid_to"]) for r in rows)
    assert state == [(1, 1, False, mar), (2, 2, False, mar), (2, 3, True, None), (3, 3, True, None)]
    assert (first.rows_written, second.rows_written) == (3, 3)  # 1 closed; 2 closed and its new version


def test_sql_server_gets_one_merge_statement() -> None:
    from odibi_provider.engines.sql.scd import merge_clauses
    from odibi_provider.engines.sql_targets import for_database

    db = for_database("mssql")
    params = {"keys": ["id"], "delete_condition": "source.deleted = 1", "audit_cols": {"created_col": "created_at"}}
    clauses = merge_clauses(db.quote, params, source_cols=["id", "v", "deleted"],
                            target_cols=["id", "v", "deleted", "created_at"], where="n")
    statements = db.merge("[dbo].[dim]", "[#stage]", ["id", "v", "deleted", "created_at"], ["id"], clauses, False)
    assert statements.mark is None
    assert statements.changes == (
        'MERGE INTO [dbo].[dim] AS target USING [#stage] AS source ON source."id" = target."id" '
        "WHEN MATCHED AND (source.deleted = 1) THEN DELETE "
        'WHEN MATCHED THEN UPDATE SET "v" = source."v", "deleted" = source."deleted", '
        '"created_at" = target."created_at" '
        'WHEN NOT MATCHED BY TARGET THEN INSERT ("id", "v", "deleted", "created_at") '
        'VALUES (source."id", source."v", source."deleted", CURRENT_TIMESTAMP);',)


def test_sql_server_scd2_statements_use_bit_flags_and_update_from_join() -> None:
    from odibi_provider.engines.sql.scd import Scd2
    from odibi_provider.engines.sql_targets import for_database

    spec = Scd2(("id",), ("v",), "at")
    statements = for_database("mssql").scd2("[dim]", "[#stage]", ["id", "v", "at", "valid_to", "is_current"], spec,
                                            "DATETIME2", from_date=False)
    assert statements.mark is not None and statements.mark.startswith(
        'UPDATE source SET "_odibi_action" = CASE WHEN NOT EXISTS (SELECT 1 FROM [dim] AS target WHERE '
        'source."id" = target."id" AND target."is_current" = 1)')
    assert statements.changes == (
        'UPDATE target SET "valid_to" = CAST(source."at" AS DATETIME2), "is_current" = 0 FROM [dim] AS target '
        'JOIN [#stage] AS source ON source."id" = target."id" AND target."is_current" = 1 '
        "WHERE source.\"_odibi_action\" IN ('C', 'N')",
        'INSERT INTO [dim] ("id", "v", "at", "valid_to", "is_current") SELECT source."id", source."v", source."at", '
        "NULL, 1 FROM [#stage] AS source WHERE source.\"_odibi_action\" IN ('I', 'N')")


def _postgres(postgres: Any, schema: str) -> Any:
    from odibi_provider.connections.sql import SqlDatabase
    from odibi_provider.manifest.substitution import Environment

    return SqlDatabase("pg", postgres.url, schema, Environment(process={}))
