"""The embedded engine on object stores (moto S3 and Azurite): reads, every write mode, Delta, atomicity."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odibi_provider.engines.embedded.engine import EmbeddedEngine
from odibi_provider.engines.embedded.lazy import LazyQuery
from odibi_provider.engines.embedded.readers import read_table
from odibi_provider.engines.embedded.writers import write_table
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ReadSpec, WriteSpec
from tests.cloud.conftest import CONTAINER, azure_spec, open_spec
from tests.fixtures.cloud_servers import AZURITE_ACCOUNT, AZURITE_INSTALL, AZURITE_KEY, AZURITE_VERSION

ROWS = pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]})
FILE_FORMATS = ["csv", "json", "parquet", "excel"]


def _read(lake: Any, fmt: str, path: str, duck: Any, **options: Any) -> pa.Table:
    return read_table(ReadSpec(lake.name, fmt, path=path, options=FrozenMap(options)), lake, duck)


def _write(table: pa.Table, lake: Any, fmt: str, path: str, mode: str, duck: Any, *, write_id: str = "w1",
           partition_by: tuple[str, ...] = ()) -> Any:
    spec = WriteSpec(lake.name, fmt, path=path, mode=mode, keys=("id",) if mode in ("upsert", "append_once")
                     else (), partition_by=partition_by)
    return write_table(table, spec, lake, write_id=write_id, con=duck)


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(zip(*(table.column(c).to_pylist() for c in ("id", "name")), strict=True))


def _objects(lake: Any, path: str = "") -> list[str]:
    key = lake.fs_path(lake.resolve(path))
    return sorted(p[len(key) + 1:] for p in lake.filesystem().find(key))


def _excel_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    table.to_pandas().to_excel(buffer, index=False)
    return buffer.getvalue()


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_reads_each_format_and_layout(lake: Any, duck: Any) -> None:
    fs, base = lake.filesystem(), lake.fs_path(lake.resolve("raw"))
    fs.pipe({f"{base}/one.csv": b"id,name\n1,a\n2,b\n",
             f"{base}/one.json": b'{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n',
             f"{base}/one.parquet": _parquet_bytes(ROWS), f"{base}/one.xlsx": _excel_bytes(ROWS),
             f"{base}/parts/part-1.csv": b"id,name\n1,a\n", f"{base}/parts/part-2.csv": b"id,name\n2,b\n",
             f"{base}/parts/_SUCCESS": b"", f"{base}/parts/.part-3.csv.tmp": b"id,name\n3,c\n",
             f"{base}/hive/k=1/p.parquet": _parquet_bytes(ROWS.slice(0, 1)),
             f"{base}/hive/k=2/p.parquet": _parquet_bytes(ROWS.slice(1, 2))})
    assert _rows(_read(lake, "csv", "raw/one.csv", duck)) == [(1, "a"), (2, "b")]
    assert _rows(_read(lake, "json", "raw/one.json", duck)) == [(1, "a"), (2, "b")]
    assert _rows(_read(lake, "parquet", "raw/one.parquet", duck)) == _rows(ROWS)
    assert _rows(_read(lake, "excel", "raw/one.xlsx", duck)) == _rows(ROWS)
    assert _rows(_read(lake, "csv", "raw/parts", duck)) == [(1, "a"), (2, "b")]
    assert _rows(_read(lake, "csv", "raw/parts/part-*.csv", duck)) == [(1, "a"), (2, "b")]
    hive = _read(lake, "parquet", "raw/hive", duck)
    assert sorted(hive.column("k").to_pylist()) == [1, 2, 2]
    with pytest.raises(ExecutionError, match="does not exist; check the path and the connection's prefix"):
        _read(lake, "csv", "raw/missing.csv", duck)


@pytest.mark.parametrize("fmt", FILE_FORMATS)
def test_every_write_mode_round_trips(lake: Any, duck: Any, fmt: str) -> None:
    path = f"silver/items_{fmt}"
    assert _write(ROWS, lake, fmt, path, "overwrite", duck).details["layout"] == "file"
    extra = pa.table({"id": [4], "name": ["d"]})
    first = _write(extra, lake, fmt, path, "append", duck, write_id="run-1/node")
    _write(extra, lake, fmt, path, "append", duck, write_id="run-1/node")  # a retry: same write id
    assert first.details["layout"] == "parts"
    assert _rows(_read(lake, fmt, path, duck)) == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
    _write(pa.table({"id": [2, 5], "name": ["B", "e"]}), lake, fmt, path, "upsert", duck)
    once = _write(pa.table({"id": [1, 6], "name": ["x", "f"]}), lake, fmt, path, "append_once", duck)
    assert once.rows_written == 1
    assert _rows(_read(lake, fmt, path, duck)) == [(1, "a"), (2, "B"), (3, "c"), (4, "d"), (5, "e"), (6, "f")]
    _write(ROWS, lake, fmt, path, "overwrite", duck, write_id="w9")
    assert _rows(_read(lake, fmt, path, duck)) == _rows(ROWS)
    assert _objects(lake, "silver") == [f"items_{fmt}"]  # the replaced part files are gone


def test_delta_every_mode_and_idempotent_appends(delta_lake: Any, duck: Any) -> None:
    lake = delta_lake
    assert _write(ROWS, lake, "delta", "gold/items", "overwrite", duck).details["version"] == 0
    extra = pa.table({"id": [4], "name": ["d"]})
    outcomes = [_write(extra, lake, "delta", "gold/items", "append", duck, write_id="run-1/n") for _ in range(2)]
    assert [(o.skipped, o.rows_written) for o in outcomes] == [(False, 1), (True, 0)]
    _write(pa.table({"id": [2, 5], "name": ["B", "e"]}), lake, "delta", "gold/items", "upsert", duck)
    once = _write(pa.table({"id": [1, 6], "name": ["x", "f"]}), lake, "delta", "gold/items", "append_once", duck)
    assert once.rows_written == 1
    assert _rows(_read(lake, "delta", "gold/items", duck)) == [
        (1, "a"), (2, "B"), (3, "c"), (4, "d"), (5, "e"), (6, "f")]
    assert _rows(_read(lake, "delta", "gold/items", duck, version=0)) == _rows(ROWS)
    assert "_delta_log" in _objects(lake, "gold/items")[0]


def test_delta_partitions_on_an_object_store(delta_lake: Any, duck: Any) -> None:
    lake = delta_lake
    _write(ROWS, lake, "delta", "gold/parts", "overwrite", duck, partition_by=("name",))
    assert any(name.startswith("name=a/") for name in _objects(lake, "gold/parts"))
    assert _rows(_read(lake, "delta", "gold/parts", duck)) == _rows(ROWS)


def test_partitioned_files_are_refused_with_advice(lake: Any, duck: Any) -> None:
    with pytest.raises(ExecutionError, match="partition_by is not supported for parquet on an object store.*"
                                             "use format delta"):
        _write(ROWS, lake, "parquet", "p", "overwrite", duck, partition_by=("name",))
    assert _objects(lake) == []


def test_engine_scans_lazily_and_streams_into_another_store(s3_lake: Any, azure_lake: Any) -> None:
    engine = EmbeddedEngine()
    s3_lake.filesystem().pipe(s3_lake.fs_path(s3_lake.resolve("raw/x.csv")), b"id,name\n1,a\n2,b\n3,c\n")
    frame = engine.read(ReadSpec(s3_lake.name, "csv", path="raw/x.csv"), s3_lake)
    assert isinstance(frame, LazyQuery)
    tenfold = engine.sql("SELECT id * 10 AS id, name FROM df", {"df": frame})
    outcome = engine.write(tenfold, WriteSpec(azure_lake.name, "parquet", path="out/x.parquet"), azure_lake,
                           write_id="w")
    assert outcome.rows_written == 3
    back = engine.read(ReadSpec(azure_lake.name, "parquet", path="out/x.parquet"), azure_lake)
    assert isinstance(back, LazyQuery)
    assert engine.count(back) == 3
    assert _rows(engine.materialize(back)) == [(10, "a"), (20, "b"), (30, "c")]


@pytest.mark.skip(reason="intermittently hangs inside DuckDB 2.0: a query error raised mid-way through a "
                         "streamed COPY sometimes never returns (seen 1 run in ~15); kept until that is isolated")
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_write_failing_midway_leaves_the_previous_object(lake: Any, fmt: str) -> None:
    engine = EmbeddedEngine()
    spec = WriteSpec(lake.name, fmt, path=f"t/data.{fmt}")
    engine.write(ROWS, spec, lake, write_id="good")
    key = lake.fs_path(lake.resolve(spec.path))
    before = lake.filesystem().cat_file(key)
    failing = engine.sql("SELECT i AS id, CASE WHEN i < 200000 THEN 'x' ELSE error('boom midway') END AS name "
                         "FROM range(300000) t(i)", {})
    with pytest.raises(ExecutionError, match="boom midway"):
        engine.write(failing, spec, lake, write_id="bad")
    assert lake.filesystem().cat_file(key) == before
    assert _objects(lake, "t") == [f"data.{fmt}"]


def test_a_failed_upload_leaves_the_previous_object(lake: Any, duck: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(ROWS, lake, "parquet", "t/data.parquet", "overwrite", duck)

    def broken_put(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionError("connection reset while uploading")

    monkeypatch.setattr(lake.filesystem(), "put_file", broken_put)
    with pytest.raises(ExecutionError, match="cannot write .*connection reset"):
        _write(pa.table({"id": [9], "name": ["z"]}), lake, "parquet", "t/data.parquet", "overwrite", duck)
    monkeypatch.undo()
    assert _rows(_read(lake, "parquet", "t/data.parquet", duck)) == _rows(ROWS)


def test_an_interrupted_first_append_is_invisible_and_retried_once(lake: Any, duck: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _write(ROWS, lake, "csv", "t/items", "overwrite", duck)
    fs = lake.filesystem()

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt  # killed after uploading the part, before the commit (deleting T)

    monkeypatch.setattr(fs, "rm_file", crash)
    with pytest.raises(KeyboardInterrupt):
        _write(pa.table({"id": [4], "name": ["d"]}), lake, "csv", "t/items", "append", duck, write_id="r1")
    monkeypatch.undo()
    assert len(_objects(lake, "t")) == 3  # T, and the base copy and the part hidden behind it
    assert _rows(_read(lake, "csv", "t/items", duck)) == _rows(ROWS)
    _write(pa.table({"id": [4], "name": ["d"]}), lake, "csv", "t/items", "append", duck, write_id="r1")
    assert _rows(_read(lake, "csv", "t/items", duck)) == [*_rows(ROWS), (4, "d")]


@pytest.mark.parametrize("fmt", ["parquet", "delta"])
def test_store_errors_never_show_the_account_key(azurite: Any, duck: Any, fmt: str) -> None:
    wrong = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk="
    lake = open_spec(azure_spec(azurite.endpoint, "t-denied"), {"AZ_KEY": wrong})
    with pytest.raises(ExecutionError) as raised:
        _write(ROWS, lake, fmt, "t/denied", "overwrite", duck)
    chain = [raised.value, raised.value.__cause__, raised.value.__context__]
    text = " ".join(str(e) for e in chain if e is not None) + repr(lake) + json.dumps(str(raised.value))
    assert wrong not in text
    assert "connection 'azlake'" in str(raised.value) or "t/denied" in str(raised.value)



def _container_sas() -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    permission = ContainerSasPermissions(read=True, add=True, create=True, write=True, delete=True, list=True)
    return generate_container_sas(AZURITE_ACCOUNT, CONTAINER, account_key=AZURITE_KEY, permission=permission,
                                  expiry=datetime.now(UTC) + timedelta(hours=1))


@pytest.mark.parametrize("auth", ["sas_token", "connection_string"])
def test_azure_sas_and_connection_string(azurite: Any, duck: Any, auth: str) -> None:
    if azurite.version < AZURITE_VERSION:
        pytest.skip(f"Azurite 3.37+ is needed for Delta (List Blobs startFrom): {AZURITE_INSTALL}")
    secret = _container_sas() if auth == "sas_token" else azurite.connection_string
    spec = azure_spec(azurite.endpoint, f"t-{auth}", kind="azure_adls", account_key=None,
                      **{auth: "${env:AZ_SECRET}"})
    lake = open_spec(spec, {"AZ_SECRET": secret})
    for fmt in ("parquet", "delta"):
        _write(ROWS, lake, fmt, f"t/{fmt}", "overwrite", duck)
        _write(pa.table({"id": [4], "name": ["d"]}), lake, fmt, f"t/{fmt}", "append", duck, write_id="a")
        assert _rows(_read(lake, fmt, f"t/{fmt}", duck)) == [*_rows(ROWS), (4, "d")]
    assert secret not in repr(lake)
