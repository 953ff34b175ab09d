"""read_table: every format and its options, from files, directories, globs and databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec


def _read(conn: Any, duck: Any, fmt: str, path: str | None = None, **options: Any) -> pa.Table:
    return read_table(ReadSpec(conn.name, fmt, path=path, options=FrozenMap(options)), conn, duck)


def _put(conn: Any, path: str, text: str) -> Path:
    target = Path(conn.resolve(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


# --- csv ---------------------------------------------------------------------------------------


def test_csv_with_header_and_inferred_types(lake: Any, duck: Any) -> None:
    _put(lake, "s.csv", "id,price,day\n1,2.5,2024-01-02\n2,3.0,2024-01-03\n")
    table = _read(lake, duck, "csv", "s.csv", header=True)
    assert table.column_names == ["id", "price", "day"]
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("day").type == pa.date32()
    assert table.column("price").to_pylist() == [2.5, 3.0]


def test_csv_delimiter_quote_skip_and_nulls(lake: Any, duck: Any) -> None:
    _put(lake, "s.csv", "# exported\nid;name;note\n1;'a;b';NA\n2;c;x\n")
    table = _read(lake, duck, "csv", "s.csv", sep=";", quote="'", skip=1, null_values=["NA"], header=True)
    assert table.to_pylist() == [{"id": 1, "name": "a;b", "note": None}, {"id": 2, "name": "c", "note": "x"}]


def test_csv_dtype_mapping_and_all_varchar(lake: Any, duck: Any) -> None:
    _put(lake, "s.csv", "id,code\n1,007\n2,010\n")
    typed = _read(lake, duck, "csv", "s.csv", dtype={"code": "str", "id": "int32"})
    assert typed.column("code").to_pylist() == ["007", "010"]
    assert typed.schema.field("id").type == pa.int32()
    text = _read(lake, duck, "csv", "s.csv", all_varchar=True)
    assert text.column("id").to_pylist() == ["1", "2"]
    assert _read(lake, duck, "csv", "s.csv", dtype="str").column("id").to_pylist() == ["1", "2"]


def test_csv_ignore_errors_drops_malformed_rows(lake: Any, duck: Any) -> None:
    _put(lake, "s.csv", "id,qty\n1,5\n2,not-a-number\n3,7\n4,8,extra\n")
    with pytest.raises(ExecutionError, match="connection 'lake', csv path 's.csv': cannot read"):
        _read(lake, duck, "csv", "s.csv", dtype={"qty": "int"})
    table = _read(lake, duck, "csv", "s.csv", dtype={"qty": "int"}, ignore_errors=True)
    assert table.column("id").to_pylist() == [1, 3]


def test_csv_columns_projection_and_explicit_columns(lake: Any, duck: Any) -> None:
    _put(lake, "s.csv", "a,b,c\n1,2,3\n")
    assert _read(lake, duck, "csv", "s.csv", columns=["c", "a"]).column_names == ["c", "a"]
    _put(lake, "raw.csv", "1|x\n2|y\n")
    table = _read(lake, duck, "csv", "raw.csv", header=False, delimiter="|", columns={"n": "INTEGER", "s": "VARCHAR"})
    assert table.to_pylist() == [{"n": 1, "s": "x"}, {"n": 2, "s": "y"}]


def test_csv_directory_of_parts_and_glob(lake: Any, duck: Any) -> None:
    _put(lake, "parts/part-1.csv", "id,v\n1,a\n")
    _put(lake, "parts/part-2.csv", "id,v,extra\n2,b,z\n")
    _put(lake, "parts/.part-3.csv.tmp-abc", "id,v\n99,half-written\n")
    _put(lake, "parts/_SUCCESS", "")
    table = _read(lake, duck, "csv", "parts")
    assert sorted(table.column("id").to_pylist()) == [1, 2]
    assert "extra" in table.column_names
    assert sorted(_read(lake, duck, "csv", "parts/part-*.csv").column("id").to_pylist()) == [1, 2]


def test_missing_input_names_connection_and_path(lake: Any, duck: Any) -> None:
    with pytest.raises(ExecutionError, match=r"connection 'lake', csv path 'nope.csv': .*nope.csv' does not exist"):
        _read(lake, duck, "csv", "nope.csv")
    with pytest.raises(ExecutionError, match=r"no parquet files .* at"):
        _read(lake, duck, "parquet", "empty/*.parquet")


def test_unknown_option_lists_the_accepted_ones(lake: Any, duck: Any) -> None:
    _put(lake, "s.csv", "a\n1\n")
    with pytest.raises(ExecutionError, match=r"unknown csv read option\(s\) 'delimeter' \(did you mean 'delimiter'"
                                             r".*accepted csv read options: all_varchar, columns"):
        _read(lake, duck, "csv", "s.csv", delimeter=";")
    with pytest.raises(ExecutionError, match="accepted parquet read options: columns, hive_partitioning"):
        _read(lake, duck, "parquet", "s.parquet", header=True)


def test_path_escape_is_refused(lake: Any, duck: Any) -> None:
    with pytest.raises(ExecutionError, match="outside the connection's base_path"):
        _read(lake, duck, "csv", "../../etc/passwd")


# --- json --------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"lines": True}], ids=["auto", "lines"])
def test_json_lines(lake: Any, duck: Any, options: dict[str, Any]) -> None:
    _put(lake, "c.jsonl", '{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n')
    assert _read(lake, duck, "json", "c.jsonl", **options).to_pylist() == [{"id": 1, "name": "a"},
                                                                            {"id": 2, "name": "b"}]


@pytest.mark.parametrize("options", [{}, {"lines": False}], ids=["auto", "array"])
def test_json_records_array(lake: Any, duck: Any, options: dict[str, Any]) -> None:
    _put(lake, "c.json", json.dumps([{"id": 1, "tags": ["x"]}, {"id": 2, "tags": []}]))
    table = _read(lake, duck, "json", "c.json", **options)
    assert table.to_pylist() == [{"id": 1, "tags": ["x"]}, {"id": 2, "tags": []}]


# --- parquet -----------------------------------------------------------------------------------


def test_parquet_file_hive_directory_and_projection(lake: Any, duck: Any) -> None:
    target = Path(lake.resolve("p"))
    for region, ids in (("eu", [1, 2]), ("us", [3])):
        (target / f"region={region}").mkdir(parents=True)
        pq.write_table(pa.table({"id": ids}), target / f"region={region}" / "part-0.parquet")
    table = _read(lake, duck, "parquet", "p")
    assert sorted(zip(table.column("id").to_pylist(), table.column("region").to_pylist(), strict=True)) == [
        (1, "eu"), (2, "eu"), (3, "us")]
    assert _read(lake, duck, "parquet", "p/region=eu/part-0.parquet", columns=["id"]).column_names == ["id"]


# --- excel -------------------------------------------------------------------------------------


def test_excel_sheet_name(lake: Any, duck: Any) -> None:
    import pandas as pd

    path = Path(lake.resolve("book.xlsx"))
    path.parent.mkdir(parents=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"id": [1, 2], "name": ["x", "y"]}).to_excel(writer, sheet_name="stores", index=False)
    table = _read(lake, duck, "excel", "book.xlsx", sheet_name="stores")
    assert table.to_pylist() == [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}]
    assert _read(lake, duck, "excel", "book.xlsx").column_names == ["a"]


# --- delta -------------------------------------------------------------------------------------


def test_delta_time_travel(lake: Any, duck: Any) -> None:
    from deltalake import write_deltalake

    location = lake.resolve("d")
    write_deltalake(location, pa.table({"id": [1]}), mode="overwrite")
    write_deltalake(location, pa.table({"id": [2]}), mode="append")
    assert sorted(_read(lake, duck, "delta", "d").column("id").to_pylist()) == [1, 2]
    assert _read(lake, duck, "delta", "d", version=0).column("id").to_pylist() == [1]
    assert _read(lake, duck, "delta", "d", versionAsOf=0).column("id").to_pylist() == [1]
    with pytest.raises(ExecutionError, match="no delta table at"):
        _read(lake, duck, "delta", "not-there")


# --- sql ---------------------------------------------------------------------------------------


def test_sql_table_and_query(tmp_path: Path, duck: Any) -> None:
    import sqlite3

    from odibi_provider.connections.sql import SqlDatabase
    from odibi_provider.manifest.substitution import Environment

    with sqlite3.connect(tmp_path / "w.db") as raw:
        raw.execute("CREATE TABLE sales (id INTEGER, amount REAL, note TEXT)")
        raw.executemany("INSERT INTO sales VALUES (?, ?, ?)", [(1, 2.5, None), (2, 4.0, None)])
    db = SqlDatabase("w", "sqlite:///w.db", None, Environment(process={}), project_dir=tmp_path)
    table = read_table(ReadSpec("w", "sql", table="sales"), db, duck)
    assert table.schema == pa.schema([("id", pa.int64()), ("amount", pa.float64()), ("note", pa.string())])
    query = read_table(ReadSpec("w", "sql", query="SELECT sum(amount) AS total FROM sales"), db, duck)
    assert query.to_pylist() == [{"total": 6.5}]
    with pytest.raises(ExecutionError, match="table 'nope' does not exist"):
        read_table(ReadSpec("w", "sql", table="nope"), db, duck)
    db.dispose()
