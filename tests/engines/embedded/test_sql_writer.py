"""write_table on SQL (SQLite and PostgreSQL): one transaction per write, bookkept write ids."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.model import ReadSpec, WriteSpec

FIRST = pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"], "region": ["eu", "us", "eu"]})
SECOND = pa.table({"id": [3, 4], "name": ["C", "d"], "region": ["eu", "us"]})


def _write(db: Any, table: pa.Table, mode: str, write_id: str, name: str = "orders") -> Any:
    return write_table(table, WriteSpec(db.name, "sql", table=name, mode=mode, keys=("id",)), db,
                       write_id=write_id, con=None)


def _read(db: Any, name: str = "orders") -> pa.Table:
    return read_table(ReadSpec(db.name, "sql", table=name), db, None)


def _rows(db: Any) -> list[tuple[Any, ...]]:
    table = _read(db)
    return sorted(zip(*(table.column(c).to_pylist() for c in ("id", "name", "region")), strict=True))


def _qualified(db: Any, name: str) -> str:
    return f'"{db.schema}"."{name}"' if db.schema else f'"{name}"'


def _bookkept(db: Any) -> list[tuple[str, str, int]]:
    writes = sa.Table("_odibi_writes", sa.MetaData(), schema=db.schema, autoload_with=db.engine())
    with db.engine().connect() as conn:
        return sorted(conn.execute(sa.select(writes.c.write_id, writes.c.dataset, writes.c.rows)).all())


@pytest.mark.parametrize("mode, expected, rows_written", [
    pytest.param("overwrite", [(3, "C", "eu"), (4, "d", "us")], 2, id="overwrite"),
    pytest.param("append", [(1, "a", "eu"), (2, "b", "us"), (3, "C", "eu"), (3, "c", "eu"), (4, "d", "us")], 2,
                 id="append"),
    pytest.param("upsert", [(1, "a", "eu"), (2, "b", "us"), (3, "C", "eu"), (4, "d", "us")], 2, id="upsert"),
    pytest.param("append_once", [(1, "a", "eu"), (2, "b", "us"), (3, "c", "eu"), (4, "d", "us")], 1,
                 id="append_once"),
])
def test_round_trip(sql_db: Any, mode: str, expected: list[tuple[Any, ...]], rows_written: int) -> None:
    _write(sql_db, FIRST, "overwrite", "run1")
    outcome = _write(sql_db, SECOND, mode, "run2")
    assert (outcome.rows_written, outcome.skipped) == (rows_written, False)
    assert outcome.location.endswith("#" + (f"{sql_db.schema}.orders" if sql_db.schema else "orders"))
    assert _rows(sql_db) == expected
    dataset = f"{sql_db.schema}.orders" if sql_db.schema else "orders"
    assert _bookkept(sql_db) == [("run1", dataset, 3), ("run2", dataset, rows_written)]


def test_types_round_trip(sql_db: Any) -> None:
    table = pa.table({
        "i": pa.array([1, None], pa.int64()), "small": pa.array([1, 2], pa.int16()), "f": [1.5, None],
        "s": ["x", None], "b": [True, None], "d": [dt.date(2024, 1, 2), None],
        "ts": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None], pa.timestamp("us")),
        "amount": pa.array([decimal.Decimal("12.34"), None], pa.decimal128(10, 2)),
    })
    _write(sql_db, table, "overwrite", "w", name="typed")
    back = _read(sql_db, "typed")
    assert back.column_names == table.column_names
    assert back.to_pylist() == table.to_pylist()


def test_overwrite_with_a_new_shape_recreates_the_table(sql_db: Any) -> None:
    _write(sql_db, FIRST, "overwrite", "w1")
    _write(sql_db, pa.table({"id": ["x"], "extra": [1.0]}), "overwrite", "w2")
    assert _read(sql_db).to_pylist() == [{"id": "x", "extra": 1.0}]


def test_append_with_an_unknown_column_fails_and_changes_nothing(sql_db: Any) -> None:
    _write(sql_db, FIRST, "overwrite", "w1")
    with pytest.raises(ExecutionError, match=r"existing dataset '[\w.]*orders' \(append\):\n  - column 'extra' "
                                             r"\(BIGINT\): new in the data"):
        _write(sql_db, FIRST.append_column("extra", pa.array([1, 2, 3])), "append", "w2")
    assert len(_rows(sql_db)) == 3


def test_a_failing_write_rolls_back_entirely(sql_db: Any) -> None:
    _write(sql_db, FIRST, "overwrite", "w1")
    with sql_db.engine().begin() as conn:
        conn.exec_driver_sql(f"CREATE UNIQUE INDEX orders_id ON {_qualified(sql_db, 'orders')} (id)")
    duplicates = pa.table({"id": [9, 9], "name": ["x", "y"], "region": ["eu", "eu"]})
    with pytest.raises(ExecutionError, match="connection 'warehouse'.*cannot write table"):
        _write(sql_db, duplicates, "overwrite", "w2")  # deletes the old rows, then the insert fails
    assert len(_rows(sql_db)) == 3
    assert [w[0] for w in _bookkept(sql_db)] == ["w1"]


def test_a_schema_qualified_table_name(sql_db: Any) -> None:
    schema = sql_db.schema or "main"
    outcome = _write(sql_db, FIRST, "append", "w1", name=f"{schema}.qualified")
    assert outcome.location.endswith(f"#{schema}.qualified")
    assert _read(sql_db, f"{schema}.qualified").num_rows == 3


def test_postgres_bulk_load_uses_copy(postgres: Any, pg_schema: str) -> None:
    from odibi_provider.connections.sql import SqlDatabase
    from odibi_provider.manifest.substitution import Environment

    db = SqlDatabase("pg", postgres.url, pg_schema, Environment(process={}))
    statements: list[str] = []
    sa.event.listen(db.engine(), "before_cursor_execute",
                    lambda conn, cursor, statement, *args: statements.append(statement))
    big = pa.table({"id": list(range(20_000)), "v": [str(i) for i in range(20_000)]})
    write_table(big, WriteSpec("pg", "sql", table="big"), db, write_id="w", con=None)
    assert _read(db, "big").num_rows == 20_000
    assert not any(s.lstrip().upper().startswith("INSERT INTO") and "big" in s for s in statements)
    db.dispose()
