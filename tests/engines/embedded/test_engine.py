"""The embedded engine itself: get_engine, SQL over named relations, threads, pandas, samples, intermediates."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odibi_provider.engines import get_engine
from odibi_provider.engines.embedded import EmbeddedEngine
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def engine() -> Any:
    return get_engine("pandas")


def test_get_engine_returns_one_instance_per_name_across_threads() -> None:
    seen: list[Any] = []
    threads = [threading.Thread(target=lambda: seen.append(get_engine("pandas"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(seen[0], EmbeddedEngine) and all(e is seen[0] for e in seen)
    assert seen[0].name == "pandas"


@pytest.mark.parametrize(("name", "message"), [
    pytest.param("panda", r"unknown engine 'panda'; did you mean 'pandas'\?", id="did you mean"),
    pytest.param("polars", "unknown engine 'polars'; engines: pandas, spark", id="unknown"),
])
def test_get_engine_errors(name: str, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        get_engine(name)


def test_importing_engines_loads_no_engine_library() -> None:
    code = ("import sys, odibi_provider.engines\n"
            "print(sorted(m for m in ('duckdb', 'pyarrow', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_sql_sees_df_and_named_relations(engine: Any) -> None:
    sales = pa.table({"store": [1, 2, 1], "amount": [5, 7, 3]})
    stores = pa.table({"store": [1, 2], "city": ["Oslo", "Rome"]})
    result = engine.run("SELECT city, sum(amount) AS total FROM df JOIN load_stores USING (store) "
                        "GROUP BY city ORDER BY city", {"df": sales, "load_stores": stores})
    assert isinstance(result, pa.Table)
    assert result.to_pylist() == [{"city": "Oslo", "total": 8}, {"city": "Rome", "total": 7}]


def test_sql_errors_name_duckdb_message_and_tables(engine: Any) -> None:
    with pytest.raises(ExecutionError, match=r"SQL failed: .*missing_table(.|\n)*tables available: df, stores"):
        engine.sql("SELECT * FROM missing_table", {"df": pa.table({"a": [1]}), "stores": pa.table({"b": [1]})})


def test_sql_is_thread_safe_with_same_relation_names(engine: Any) -> None:
    barrier = threading.Barrier(8)
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        frame = pa.table({"x": list(range(i * 1000, i * 1000 + 1000))})
        try:
            barrier.wait()
            for _ in range(20):
                out = engine.materialize(engine.sql("SELECT min(x) AS lo, count(*) AS n FROM df", {"df": frame}))
                results.setdefault(i, []).append(out.to_pylist()[0]["lo"])
        except BaseException as exc:  # noqa: BLE001 (reported with context)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {i: set(v) for i, v in results.items()} == {i: {i * 1000} for i in range(8)}


def test_count_schema_and_json_ready_sample(engine: Any) -> None:
    frame = pa.table({
        "id": pa.array([1, 2], pa.int64()),
        "day": pa.array([dt.date(2024, 1, 2), None], pa.date32()),
        "at": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None], pa.timestamp("us")),
        "price": pa.array([Decimal("1.50"), Decimal("2.25")], pa.decimal128(10, 2)),
        "ratio": [float("nan"), 0.5],
        "raw": [b"\x01\x02", None],
        "tags": [["a"], []],
    })
    assert engine.count(frame) == 2
    assert engine.schema(frame) == [("id", "BIGINT"), ("day", "DATE"), ("at", "TIMESTAMP"),
                                    ("price", "DECIMAL(10,2)"), ("ratio", "DOUBLE"), ("raw", "BLOB"),
                                    ("tags", "VARCHAR[]")]
    sample = engine.sample(frame, 1)
    assert sample == [{"id": 1, "day": "2024-01-02", "at": "2024-01-02T03:04:05", "price": 1.5, "ratio": None,
                       "raw": "0102", "tags": ["a"]}]
    json.dumps(engine.sample(frame, 10), allow_nan=False)
    assert len(engine.sample(frame, 10)) == 2


def test_pandas_round_trip_keeps_types(engine: Any) -> None:
    frame = pa.table({
        "id": pa.array([1, None, 3], pa.int64()),
        "qty": pa.array([1, 2, 3], pa.int32()),
        "flag": pa.array([True, None, False]),
        "name": ["a", None, "c"],
        "amount": [1.5, None, 2.0],
        "at": pa.array([dt.datetime(2024, 1, 1), None, dt.datetime(2024, 1, 3)], pa.timestamp("us")),
    })
    df = engine.to_pandas(frame)
    assert str(df["id"].dtype) == "Int64" and str(df["flag"].dtype) == "boolean"
    assert str(df["qty"].dtype) == "int32" and str(df["amount"].dtype) == "float64"
    back = engine.from_pandas(df)
    assert back.schema.remove_metadata() == frame.schema
    assert back.to_pylist() == frame.to_pylist()
    assert back.schema.metadata is None


def test_from_pandas_resets_the_index(engine: Any) -> None:
    df = pd.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]})
    filtered = engine.from_pandas(df[df["v"] > 1])
    assert filtered.column_names == ["k", "v"] and filtered.num_rows == 2
    grouped = engine.from_pandas(df.groupby("k").sum())
    assert grouped.to_pylist() == [{"k": "a", "v": 4}, {"k": "b", "v": 2}]


@pytest.mark.parametrize(("value", "message"), [
    pytest.param(pd.DataFrame({"mixed": [1, "two"]}), "cannot convert the DataFrame to Arrow", id="mixed column"),
    pytest.param([1, 2], "expected a pandas DataFrame, got list", id="not a frame"),
])
def test_from_pandas_errors(engine: Any, value: Any, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        engine.from_pandas(value)


def test_intermediate_round_trip_is_atomic(engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "deep" / "nested" / "node.parquet"
    first = pa.table({"a": [1, 2], "b": ["x", None]})
    engine.write_intermediate(first, str(target))
    assert engine.read_intermediate(str(target)).equals(first)
    engine.write_intermediate(pa.table({"a": [3]}), f"file://{target}")
    assert engine.read_intermediate(str(target)).to_pylist() == [{"a": 3}]

    def crash(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        engine.write_intermediate(first, str(target))
    assert engine.read_intermediate(str(target)).to_pylist() == [{"a": 3}]
    assert sorted(p.name for p in target.parent.iterdir()) == ["node.parquet"]


def test_read_intermediate_missing(engine: Any, tmp_path: Path) -> None:
    with pytest.raises(ExecutionError, match=r"no intermediate data at .*run the upstream node first"):
        engine.read_intermediate(str(tmp_path / "nope.parquet"))


def test_read_and_write_through_a_real_connection(engine: Any, tmp_path: Path) -> None:
    from odibi_provider.connections.local import LocalConnection

    conn = LocalConnection("local", str(tmp_path), tmp_path)
    (tmp_path / "a.csv").write_text("x;y\n1;a\n2;b\n")
    spec = ReadSpec(connection="local", format="csv", path="a.csv", options=FrozenMap({"header": True}))
    table = engine.materialize(engine.read(spec, conn, options={"delimiter": ";"}))
    assert table.to_pylist() == [{"x": 1, "y": "a"}, {"x": 2, "y": "b"}]
    outcome = engine.write(table, WriteSpec(connection="local", format="parquet", path="o.parquet"), conn,
                           write_id="run-1")
    assert outcome.rows_written == 2 and outcome.location == str(tmp_path / "o.parquet")
    assert pq.read_table(tmp_path / "o.parquet").to_pylist() == table.to_pylist()
