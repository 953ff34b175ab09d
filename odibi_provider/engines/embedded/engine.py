"""EmbeddedEngine: DuckDB over Arrow tables (``engine: pandas`` in a project).

One in-memory DuckDB database per engine; every call works on its own cursor, so nodes may run in
parallel threads. Frames are ``pyarrow.Table``; Python transforms get pandas through :meth:`to_pandas`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import math
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..._suggest import known
from ...errors import ExecutionError
from ...plan.frozen import FrozenMap
from ...plan.model import ReadSpec, TestSpec, WriteSpec
from ..base import ValidationOutcome, WriteOutcome


class EmbeddedEngine:
    """The embedded engine: reading, SQL, built-in transformers, validation and writing on DuckDB + Arrow."""

    name = "pandas"

    def __init__(self) -> None:
        # validation relies on results keeping the input's row order (DuckDB's default, made explicit)
        self._con = duckdb.connect(":memory:", config={"preserve_insertion_order": True})
        self._lock = threading.Lock()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor on the engine's database, closed afterwards (one per call and thread)."""
        with self._lock:
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def read(self, spec: ReadSpec, connection: Any, *, options: Mapping[str, Any] | None = None) -> pa.Table:
        from .readers import read_table

        if options:
            spec = dataclasses.replace(spec, options=FrozenMap({**spec.options, **options}))
        with self.cursor() as con:
            return read_table(spec, connection, con)

    def write(self, frame: pa.Table, spec: WriteSpec, connection: Any, *, write_id: str) -> WriteOutcome:
        from .writers import write_table

        with self.cursor() as con:
            return write_table(frame, spec, connection, write_id=write_id, con=con)

    def sql(self, query: str, relations: Mapping[str, Any]) -> pa.Table:
        return self.run(query, relations)

    def run(self, query: str, relations: Mapping[str, Any], *, what: str = "SQL") -> pa.Table:
        """Run ``query`` with each relation registered under its name; DuckDB errors become ExecutionError."""
        with self.cursor() as cur:
            try:
                for name, frame in relations.items():
                    cur.register(name, frame)
                result = cur.sql(query)
                if result is None:
                    raise ExecutionError(f"{what} returned no rows: a step must be a query (SELECT ... FROM df)")
                return result.to_arrow_table()
            except duckdb.Error as exc:
                raise ExecutionError(f"{what} failed: {exc}\n  tables available: {known(relations)}") from exc

    def transformer(self, name: str, params: Mapping[str, Any], frame: pa.Table,
                    relations: Mapping[str, Any]) -> tuple[pa.Table, str]:
        from .transformers import build_sql

        others = {k: _column_names(v) for k, v in relations.items() if k != "df"}
        query = build_sql(name, params, frame.column_names, others)
        return self.run(query, {**relations, "df": frame}, what=f"transformer '{name}'"), query

    def validate(self, frame: pa.Table, tests: Sequence[TestSpec]) -> ValidationOutcome:
        from .validation import validate

        return validate(frame, tests, self.run)

    def count(self, frame: pa.Table) -> int:
        return int(frame.num_rows)

    def schema(self, frame: pa.Table) -> list[tuple[str, str]]:
        """``[(column, DuckDB type), ...]``, e.g. ``("amount", "DECIMAL(10,2)")``."""
        with self.cursor() as cur:
            rel = cur.from_arrow(frame)
            return [(col, str(kind)) for col, kind in zip(rel.columns, rel.types, strict=True)]

    def sample(self, frame: pa.Table, n: int) -> list[dict[str, Any]]:
        return [{k: jsonable(v) for k, v in row.items()} for row in frame.slice(0, max(n, 0)).to_pylist()]

    def to_pandas(self, frame: pa.Table) -> Any:
        """A pandas DataFrame; integer and boolean columns with nulls become nullable (Int64, boolean)."""
        df = frame.to_pandas()
        for field, column in zip(frame.schema, frame.columns, strict=True):
            if column.null_count and (pa.types.is_integer(field.type) or pa.types.is_boolean(field.type)):
                df[field.name] = column.to_pandas(types_mapper=_nullable_dtype)
        return df

    def from_pandas(self, df: Any) -> pa.Table:
        """An Arrow table; a named index becomes columns, an unnamed one is dropped."""
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise ExecutionError(f"expected a pandas DataFrame, got {type(df).__name__}")
        df = df.reset_index(drop=all(n is None for n in df.index.names))
        df.columns = [str(c) for c in df.columns]
        try:
            return pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ExecutionError(f"cannot convert the DataFrame to Arrow: {exc}; make each column one type "
                                 "(e.g. df[col] = df[col].astype(str))") from exc

    def write_intermediate(self, frame: pa.Table, location: str) -> None:
        """Parquet at ``location``, atomically: a temp file in the same folder, then rename.

        No fsync: an intermediate is recomputable, so after a machine crash a missing or stale one only
        means re-running its node; the rename still guarantees readers never see a partial file.
        """
        path = _local_path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pq.write_table(frame, fh)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read_intermediate(self, location: str) -> pa.Table:
        path = _local_path(location)
        if not path.is_file():
            raise ExecutionError(f"no intermediate data at {path}; run the upstream node first")
        return pq.read_table(path)


def _column_names(frame: Any) -> list[str]:
    if isinstance(frame, pa.Table):
        return frame.column_names
    columns = getattr(frame, "columns", None)
    return [str(c) for c in columns] if columns is not None else list(frame.schema.names)


def _nullable_dtype(kind: pa.DataType) -> Any:
    import pandas as pd

    if pa.types.is_boolean(kind):
        return pd.BooleanDtype()
    if pa.types.is_integer(kind):
        return pd.api.types.pandas_dtype(f"{'UInt' if pa.types.is_unsigned_integer(kind) else 'Int'}"
                                         f"{kind.bit_width}")
    return None


def jsonable(value: Any) -> Any:
    """A JSON-ready value: dates/times as ISO text, decimals as float, NaN/inf as None, bytes as hex."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def _local_path(location: str) -> Path:
    if "://" in location and not location.startswith("file://"):
        raise ExecutionError(f"intermediate storage must be a local path, got '{location}'")
    return Path(location.removeprefix("file://"))

