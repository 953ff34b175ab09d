"""A retried append (same write id) adds its rows once, for every kind of target."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.plan.model import ReadSpec, WriteSpec

BATCH = pa.table({"id": [1, 2, 3], "region": ["eu", "us", "eu"]})
EARLIER = pa.table({"id": [0], "region": ["eu"]})


def _append_three_times(table: pa.Table, spec: WriteSpec, conn: Any, duck: Any) -> list[Any]:
    write_table(EARLIER, spec, conn, write_id="earlier-run", con=duck)
    return [write_table(table, spec, conn, write_id="run-42/node", con=duck) for _ in range(3)]


def _ids(spec: WriteSpec, conn: Any, duck: Any) -> list[int]:
    read = ReadSpec(spec.connection, spec.format, path=spec.path, table=spec.table)
    return sorted(read_table(read, conn, duck).column("id").to_pylist())


@pytest.mark.parametrize("fmt, partition_by", [
    pytest.param("csv", (), id="csv"),
    pytest.param("json", (), id="json"),
    pytest.param("parquet", (), id="parquet"),
    pytest.param("parquet", ("region",), id="parquet-partitioned"),
    pytest.param("excel", (), id="excel"),
    pytest.param("delta", (), id="delta"),
    pytest.param("delta", ("region",), id="delta-partitioned"),
])
def test_files_and_delta(lake: Any, duck: Any, fmt: str, partition_by: tuple[str, ...]) -> None:
    spec = WriteSpec("lake", fmt, path=f"bronze/events_{fmt}", mode="append", partition_by=partition_by)
    outcomes = _append_three_times(BATCH, spec, lake, duck)
    assert _ids(spec, lake, duck) == [0, 1, 2, 3]
    assert outcomes[0].rows_written == 3
    if fmt == "delta":
        assert [o.skipped for o in outcomes] == [False, True, True]
        assert [o.rows_written for o in outcomes] == [3, 0, 0]


def test_sql(sql_db: Any, duck: Any) -> None:
    spec = WriteSpec(sql_db.name, "sql", table="events", mode="append")
    outcomes = _append_three_times(BATCH, spec, sql_db, duck)
    assert _ids(spec, sql_db, duck) == [0, 1, 2, 3]
    assert [(o.skipped, o.rows_written) for o in outcomes] == [(False, 3), (True, 0), (True, 0)]


def test_the_same_write_id_on_another_table_is_not_skipped(sql_db: Any, duck: Any) -> None:
    for table in ("a", "b"):
        outcome = write_table(BATCH, WriteSpec(sql_db.name, "sql", table=table, mode="append"), sql_db,
                              write_id="same", con=duck)
        assert not outcome.skipped
