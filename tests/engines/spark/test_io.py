"""Reading and writing files and SQL tables on Spark: options, write modes, atomic swaps, idempotent retries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec
from tests.engines.spark.conftest import JDBC_JARS
from tests.engines.spark.helpers import frame, rows

ORDERS = {"id": [1, 2, 3], "amount": [5.0, None, 7.5], "status": ["paid", "open", None]}


def read(engine: Any, conn: Any, fmt: str, path: str, **options: Any) -> Any:
    return engine.read(ReadSpec(conn.name, fmt, path=path, options=FrozenMap(options)), conn)


def write(engine: Any, conn: Any, data: Any, fmt: str, path: str, mode: str = "overwrite", write_id: str = "r1:n",
          **options: Any) -> Any:
    spec = WriteSpec(conn.name, fmt, path=path, mode=mode, keys=("id",) if mode in ("upsert", "append_once") else (),
                     options=FrozenMap(options))
    return engine.write(data, spec, conn, write_id=write_id)


def test_csv_options_as_on_the_embedded_engine(engine: Any, lake: Any) -> None:
    raw = lake.base_path / "raw.csv"
    raw.parent.mkdir(parents=True)
    raw.write_text("id;amount;note\n1;2.5;a\n2;x;b\n3;4\n")
    typed = read(engine, lake, "csv", "raw.csv", delimiter=";", dtype={"amount": "float"})
    assert engine.schema(typed)[1] == ("amount", "double") and engine.schema(typed)[0][1] in ("int", "bigint")
    assert rows(engine, read(engine, lake, "csv", "raw.csv", delimiter=";", all_varchar=True)) == [
        ("1", "2.5", "a"), ("2", "x", "b"), ("3", "4", None)], "a short row is padded (PERMISSIVE)"


def test_ignore_errors_drops_bad_rows(jvm_engine: Any, lake: Any) -> None:
    """As DuckDB does (Sail 0.7 cannot drop short rows: it fails the read instead)."""
    lake.base_path.mkdir(parents=True)
    (lake.base_path / "raw.csv").write_text("id,amount,note\n1,2.5,a\n2,x,b\n3,4\n")
    kept = read(jvm_engine, lake, "csv", "raw.csv", ignore_errors=True,
                columns={"id": "int", "amount": "double", "note": "str"})
    assert [r[0] for r in rows(jvm_engine, kept)] == [1]


def test_json_arrays_and_lines_keep_the_files_key_order(jvm_engine: Any, lake: Any) -> None:
    lake.base_path.mkdir(parents=True)
    (lake.base_path / "a.json").write_text(json.dumps([{"zeta": 1, "alpha": "x"}, {"zeta": 2, "alpha": "y"}]))
    (lake.base_path / "l.json").write_text('{"zeta": 1, "alpha": "x"}\n{"zeta": 2, "alpha": null}\n')
    assert read(jvm_engine, lake, "json", "a.json").columns == ["zeta", "alpha"]
    assert rows(jvm_engine, read(jvm_engine, lake, "json", "l.json")) == [(1, "x"), (2, None)]


def test_unknown_options_and_paths_fail_clearly(sail_engine: Any, lake: Any) -> None:
    with pytest.raises(ExecutionError, match=r"unknown csv read option\(s\) 'delimeter' \(did you mean 'delimiter'\?\)"):
        read(sail_engine, lake, "csv", "x.csv", delimeter=";")
    with pytest.raises(ExecutionError, match=r"'.*/lake/nope.parquet' does not exist"):
        read(sail_engine, lake, "parquet", "nope.parquet")
    with pytest.raises(ExecutionError, match="mode 'upsert' needs key columns"):
        sail_engine.write(frame(sail_engine, ORDERS), WriteSpec("lake", "parquet", path="o", mode="upsert"), lake,
                          write_id="w")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_write_modes_and_idempotent_appends(engine: Any, lake: Any, fmt: str) -> None:
    data = frame(engine, ORDERS)
    assert write(engine, lake, data, fmt, "o").rows_written == 3
    assert write(engine, lake, data, fmt, "o", "append", write_id="r2:n").rows_written == 3
    retry = write(engine, lake, data, fmt, "o", "append", write_id="r2:n")
    assert retry.rows_written == 3 and engine.count(read(engine, lake, fmt, "o")) == 6, "a retry replaces its parts"
    update = frame(engine, {"id": [2, 4], "amount": [9.0, 1.0], "status": ["paid", "new"]})
    assert write(engine, lake, update, fmt, "o", "upsert", write_id="r3:n").rows_written == 2
    after = rows(engine, read(engine, lake, fmt, "o"))
    assert len(after) == 6 and (2, 9.0, "paid") in after and (4, 1.0, "new") in after, "both id 2 rows replaced"
    assert write(engine, lake, update, fmt, "o", "append_once", write_id="r4:n").rows_written == 0
    assert not [p for p in lake.base_path.iterdir() if p.name.startswith(".")], "no stage or .old left behind"


def test_partitioned_writes_and_the_embedded_layouts(jvm_engine: Any, lake: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    lake.base_path.mkdir(parents=True)
    pq.write_table(pa.table({"id": [0], "amount": [1.0], "status": ["old"]}), lake.base_path / "o.parquet")
    data = frame(jvm_engine, ORDERS)
    assert write(jvm_engine, lake, data, "parquet", "o.parquet", "append").rows_written == 3
    assert sorted(p.name for p in (lake.base_path / "o.parquet").iterdir())[0] == "part-00000-base.parquet"
    spec = WriteSpec("lake", "parquet", path="p", partition_by=("status",))
    jvm_engine.write(data, spec, lake, write_id="r1:n")
    assert (lake.base_path / "p" / "status=paid").is_dir()
    assert jvm_engine.count(read(jvm_engine, lake, "parquet", "p")) == 3


def test_an_interrupted_swap_is_recovered(sail_engine: Any, lake: Any) -> None:
    write(sail_engine, lake, frame(sail_engine, ORDERS), "parquet", "o")
    target = lake.base_path / "o"
    target.rename(lake.base_path / ".o.old")  # killed between moving the old data out and the new in
    (lake.base_path / ".o.tmp-123").mkdir()  # and a half-written stage
    assert write(sail_engine, lake, frame(sail_engine, {"id": [9]}), "parquet", "o", "append", "r2:n").rows_written == 1
    assert sorted(r[0] for r in rows(sail_engine, read(sail_engine, lake, "parquet", "o"))) == [1, 2, 3, 9]
    assert sorted(p.name for p in lake.base_path.iterdir()) == ["o"]


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Any:
    if not Path(JDBC_JARS[0]).is_file():
        pytest.skip(f"the SQLite JDBC driver is not at {JDBC_JARS[0]} (apt-get install libxerial-sqlite-jdbc-java)")
    from odibi_provider.connections.sql import SqlDatabase
    from odibi_provider.manifest.substitution import Environment

    db = SqlDatabase("wh", "sqlite:///wh.db", None, Environment(process={}), project_dir=tmp_path)
    yield db
    db.dispose()


def test_jdbc_writes_are_transactional_and_idempotent(jvm_engine: Any, sqlite_db: Any) -> None:
    data = frame(jvm_engine, ORDERS)

    def put(mode: str, write_id: str, rows_: Any = data) -> Any:
        spec = WriteSpec("wh", "sql", table="orders", mode=mode, keys=("id",))
        return jvm_engine.write(rows_, spec, sqlite_db, write_id=write_id)

    assert put("overwrite", "a").rows_written == 3
    assert put("append", "b").rows_written == 3
    assert put("append", "b").skipped, "a retried append is skipped"
    assert put("upsert", "c", frame(jvm_engine, {"id": [2], "amount": [1.0], "status": ["x"]})).rows_written == 1
    table = jvm_engine.read(ReadSpec("wh", "sql", table="orders"), sqlite_db)
    assert len(rows(jvm_engine, table)) == 5 and (2, 1.0, "x") in rows(jvm_engine, table)
    query = jvm_engine.read(ReadSpec("wh", "sql", query="SELECT count(*) AS n FROM orders"), sqlite_db)
    assert rows(jvm_engine, query) == [(5,)]
    with sqlite_db.engine().connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == {"orders", "_odibi_writes"}, "the staging tables are gone"


def test_jdbc_urls() -> None:
    from odibi_provider.engines.spark.jdbc import jdbc_options

    assert jdbc_options("postgresql+psycopg://u:p%40ss@db:6543/shop?sslmode=require") == {
        "url": "jdbc:postgresql://db:6543/shop?sslmode=require", "driver": "org.postgresql.Driver", "user": "u",
        "password": "p@ss"}
    assert jdbc_options("sqlite:////data/wh.db")["url"] == "jdbc:sqlite:/data/wh.db"
    assert jdbc_options("mssql://sa:x@sql/dw")["url"] == "jdbc:sqlserver://sql:1433;databaseName=dw"
    with pytest.raises(ExecutionError, match="no JDBC mapping for 'duckdb'"):
        jdbc_options("duckdb:///x.db")
