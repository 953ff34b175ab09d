"""EmbeddedEngine: DuckDB over Arrow tables (``engine: pandas`` in a project).

One in-memory DuckDB database per engine; every call works on its own cursor, so nodes may run in
parallel threads. A run works on a :meth:`~EmbeddedEngine.confined` engine whose database reaches only
the project's own locations (DuckDB's external access off, ``allowed_directories`` set, configuration
locked), so a SQL step cannot read or write files outside the project's connections.

A frame is a ``pyarrow.Table`` or a :class:`~.lazy.LazyQuery`: file reads and SQL steps stay lazy and
a write streams them with one DuckDB COPY; validation, Python functions and handing a result to other
nodes materialize it to Arrow. Python transforms get pandas.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..._suggest import known
from ...errors import ExecutionError
from ...plan.frozen import FrozenMap
from ...plan.model import ReadSpec, TestSpec, WriteSpec
from ...store import Store
from ..base import ValidationOutcome, WriteOutcome
from ..jsonable import jsonable
from ..sql.dialect import DUCKDB
from .lazy import LazyQuery, compose

Frame = Any  # pyarrow.Table | LazyQuery
_CONFINED_KEPT = 4  # confined databases kept per process (one per project's set of locations)
DUCKDB_SETTINGS = ("threads", "memory_limit")  # what performance.duckdb_* sets


class EmbeddedEngine:
    """The embedded engine: reading, SQL, built-in transformers, validation and writing on DuckDB + Arrow."""

    name = "pandas"
    dialect = DUCKDB

    def __init__(self, *, allowed_directories: Sequence[str] | None = None,
                 settings: Mapping[str, Any] | None = None) -> None:
        """An engine; with ``allowed_directories`` its DuckDB reaches files only under those folders
        (local paths or registered filesystem prefixes) and a private staging folder of its own.
        ``settings`` are DuckDB settings from the project's ``performance:`` (``threads``, ``memory_limit``)."""
        # validation relies on results keeping the input's row order (DuckDB's default, made explicit)
        self._con = duckdb.connect(":memory:", config={"preserve_insertion_order": True})
        for key, value in sorted((settings or {}).items()):
            if key not in DUCKDB_SETTINGS:
                raise ValueError(f"unknown DuckDB setting '{key}'; accepted: {', '.join(DUCKDB_SETTINGS)}")
            self._con.execute(f"SET {key} = {DUCKDB.literal(value)}")
        self._lock = threading.Lock()
        self._confined: OrderedDict[tuple[frozenset[str], frozenset[Any]], EmbeddedEngine] = OrderedDict()
        self.staging: str | None = None
        self._shown = ""
        if allowed_directories is not None:
            self.staging = tempfile.mkdtemp(prefix="odibi-duckdb-")
            weakref.finalize(self, shutil.rmtree, self.staging, True)
            folders = sorted({_folder(d) for d in (*allowed_directories, self.staging)})
            self._shown = ", ".join(f.rstrip("/") for f in folders if f != _folder(self.staging))
            self._con.execute(f"SET temp_directory = {DUCKDB.literal(self.staging)}")
            self._con.execute(f"SET allowed_directories = [{', '.join(DUCKDB.literal(f) for f in folders)}]")
            self._con.execute("SET enable_external_access = false")
            self._con.execute("SET lock_configuration = true")

    def confined(self, connections: Sequence[Any], roots: Sequence[str] = (),
                 settings: Mapping[str, Any] | None = None) -> EmbeddedEngine:
        """An engine whose SQL reaches only ``connections`` (local folders, object stores through their
        registered filesystems) and the local folders ``roots``, with DuckDB ``settings``; one per set of
        locations and settings, reused."""
        from .remote import protocol

        folders: set[str] = set(roots)
        for connection in connections:
            if connection.is_local:
                folders.update(connection.roots)
            else:
                folders.add(f"{protocol(connection)}://{connection.base}")
        key = frozenset(folders), frozenset((settings or {}).items())
        with self._lock:
            engine = self._confined.pop(key, None) or EmbeddedEngine(allowed_directories=sorted(key[0]),
                                                                     settings=settings)
            self._confined[key] = engine  # most recently used last; a few databases are kept
            while len(self._confined) > _CONFINED_KEPT:
                self._confined.popitem(last=False)
        return engine

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor on the engine's database, closed afterwards (one per call and thread)."""
        with self._lock:
            cur = self._con.cursor()
        try:
            yield cur
        except (duckdb.PermissionException, ExecutionError) as exc:
            denied = exc if isinstance(exc, duckdb.PermissionException) else exc.__cause__
            if not isinstance(denied, duckdb.PermissionException) or self.staging is None:
                raise
            raise ExecutionError(
                f"{exc}: that location is outside the project's locations; the embedded engine's SQL reaches only "
                f"the folders of the project's connections and its system and story folders ({self._shown}); "
                "read the file through a connection (add one whose base_path holds it)", retryable=False) from denied
        finally:
            cur.close()

    def read(self, spec: ReadSpec, connection: Any, *, options: Mapping[str, Any] | None = None) -> Frame:
        """csv/json/parquet read lazily (a scan, local or on an object store); other formats into Arrow."""
        from .readers import read_table, scan_sql

        if options:
            spec = dataclasses.replace(spec, options=FrozenMap({**spec.options, **options}))
        with self.cursor() as cur:
            scan = scan_sql(spec, connection, cur)
        if scan is not None:
            lazy = self._bind(scan, {}, what=f"reading {spec.format} '{spec.path}'")
            return dataclasses.replace(lazy, scan_format=spec.format)
        with self.cursor() as con:
            return read_table(spec, connection, con)

    def read_rejects(self, spec: ReadSpec, connection: Any) -> pa.Table | None:
        from .readers import read_rejects

        with self.cursor() as cur:
            return read_rejects(spec, connection, cur)

    def write(self, frame: Frame, spec: WriteSpec, connection: Any, *, write_id: str) -> WriteOutcome:
        """Write atomically; a lazy frame bound for csv/json/parquet streams through one COPY, and
        later samples and hand-offs scan what was written instead of running the query again."""
        from .writers import STREAMED_FORMATS, STREAMED_MODES, write_table

        streams = spec.format in STREAMED_FORMATS and spec.mode in STREAMED_MODES
        if isinstance(frame, LazyQuery) and not streams:
            frame = self.materialize(frame)
        with self.cursor() as con:
            outcome = write_table(frame, spec, connection, write_id=write_id, con=con)
        if isinstance(frame, LazyQuery) and spec.mode == "overwrite" and spec.path:
            frame.cache["written"] = self.handoff(frame, spec, connection)
        return outcome

    def sql(self, query: str, relations: Mapping[str, Any]) -> Frame:
        """A lazy frame for ``query`` over ``relations`` (checked now, run when it is written or needed)."""
        sql, tables = compose(query, relations)
        return self._bind(sql, tables, what="SQL", names=relations)

    def _bind(self, sql: str, tables: Mapping[str, Any], *, what: str,
              names: Mapping[str, Any] | None = None) -> LazyQuery:
        """Bind ``sql`` (resolve names and types, run nothing) into a LazyQuery."""
        with self._relation(sql, tables, what=what, names=names or {}) as rel:
            return LazyQuery(sql, tuple(rel.columns), tuple(str(t) for t in rel.types), dict(tables))

    def run(self, query: str, relations: Mapping[str, Any], *, what: str = "SQL") -> pa.Table:
        """Run ``query`` now into Arrow; relations may be Arrow or lazy. DuckDB errors become ExecutionError."""
        sql, tables = compose(query, relations)
        with self._relation(sql, tables, what=what, names=relations) as rel:
            return rel.to_arrow_table()

    @contextmanager
    def _relation(self, sql: str, tables: Mapping[str, Any], *, what: str, names: Mapping[str, Any]
                  ) -> Iterator[duckdb.DuckDBPyRelation]:
        """``sql`` as a DuckDB relation on a fresh cursor with ``tables`` registered; DuckDB errors (binding
        now, or running inside the block) become ExecutionError naming ``what`` and the tables available."""
        with self.cursor() as cur:
            try:
                for name, table in tables.items():
                    cur.register(name, table)
                rel = cur.sql(sql)
                if rel is None:
                    raise ExecutionError(f"{what} returned no rows: a step must be a query (SELECT ... FROM df)")
                yield rel
            except duckdb.Error as exc:
                raise ExecutionError(f"{what} failed: {exc}\n  tables available: {known(names)}") from exc

    def transformer(self, name: str, params: Mapping[str, Any], frame: Frame,
                    relations: Mapping[str, Any]) -> tuple[Frame, str]:
        from ..sql.library_core import NEEDS_DF_TYPES
        from ..sql.transformers import build_sql

        others = {k: _column_names(v) for k, v in relations.items() if k != "df"}
        types = {"df": dict(self.schema(frame))} if name in NEEDS_DF_TYPES else None
        query = build_sql(self.dialect, name, params, _column_names(frame), others, types)
        sql, tables = compose(query, {**relations, "df": frame})
        return self._bind(sql, tables, what=f"transformer '{name}'", names={**relations, "df": frame}), query

    def validate(self, frame: Frame, tests: Sequence[TestSpec], *, gated: bool = False) -> ValidationOutcome:
        from functools import partial

        from .validation import validate

        table = self.materialize(frame)
        return validate(table, tests, partial(self.run, what="validation"), dict(self.schema(table)), gated=gated)

    def quote_ident(self, name: str) -> str:
        return self.dialect.ident(name)

    def literal(self, value: Any) -> str:
        return self.dialect.literal(value)

    def count(self, frame: Frame) -> int:
        if isinstance(frame, LazyQuery):
            if "table" in frame.cache:
                return int(frame.cache["table"].num_rows)
            source = frame.cache.get("written", frame)
            return int(self.run("SELECT count(*) AS n FROM df", {"df": source}).column(0)[0].as_py())
        return int(frame.num_rows)

    def known_count(self, frame: Frame) -> int | None:
        """Arrow tables and Parquet scans (row counts are in the file footers); None for other lazy frames."""
        if not isinstance(frame, LazyQuery):
            return int(frame.num_rows)
        if "table" in frame.cache or frame.scan_format == "parquet":
            return self.count(frame)
        return None

    def materialize(self, frame: Frame) -> pa.Table:
        if not isinstance(frame, LazyQuery):
            return frame
        with self.cursor() as cur:
            try:
                return frame.materialize(cur)
            except duckdb.Error as exc:
                raise ExecutionError(f"running the query failed: {exc}") from exc

    def handoff(self, frame: Frame, write: WriteSpec | None, connection: Any) -> Frame:
        """What downstream nodes get: the dataset as written (a lazy scan for csv/json/parquet, so an
        upsert hands over the merged table exactly as a separate process would read it), else the
        frame materialized once."""
        if isinstance(frame, LazyQuery) and "written" in frame.cache:
            return frame.cache["written"]
        if write is not None:
            spec = write.as_read()
            return self.read(spec, connection)
        return self.materialize(frame)

    def schema(self, frame: Frame) -> list[tuple[str, str]]:
        """``[(column, DuckDB type), ...]``, e.g. ``("amount", "DECIMAL(10,2)")``."""
        if isinstance(frame, LazyQuery):
            return list(zip(frame.columns, frame.types, strict=True))
        known = _arrow_schemas.get(id(frame))
        if known is None:  # asked of the same input table several times per node (inputs, schema in)
            with self.cursor() as cur:
                rel = cur.from_arrow(frame)
                known = [(col, str(kind)) for col, kind in zip(rel.columns, rel.types, strict=True)]
            _arrow_schemas[id(frame)] = known
            weakref.finalize(frame, _arrow_schemas.pop, id(frame), None)  # forgotten with the table
        return list(known)

    def sample(self, frame: Frame, n: int) -> list[dict[str, Any]]:
        if isinstance(frame, LazyQuery):
            cached = frame.cache.get("table")
            frame = cached if cached is not None else self.run(
                f"SELECT * FROM df LIMIT {max(int(n), 0)}", {"df": frame.cache.get("written", frame)})
        return [{k: jsonable(v) for k, v in row.items()} for row in frame.slice(0, max(n, 0)).to_pylist()]

    def to_pandas(self, frame: Frame) -> Any:
        """A pandas DataFrame; integer and boolean columns with nulls become nullable (Int64, boolean)."""
        frame = self.materialize(frame)
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

    def to_arrow(self, frame: Frame) -> pa.Table:
        return self.materialize(frame)

    def from_arrow(self, table: Any) -> pa.Table:
        if not isinstance(table, pa.Table):
            raise ExecutionError(f"expected a pyarrow Table, got {type(table).__name__}")
        return table

    def function_input(self, frame: Frame, variant: str) -> Any:
        """Registered functions on this engine receive pandas (``any`` and ``pandas`` variants alike)."""
        return self.to_pandas(frame)

    def function_output(self, output: Any, variant: str) -> Frame:
        """A pandas DataFrame or a ``pyarrow.Table`` as a frame."""
        return output if isinstance(output, pa.Table) else self.from_pandas(output)

    def write_intermediate(self, frame: Frame, location: str) -> None:
        """Parquet at ``location`` (a local path, or a URL in a remote system store), all or nothing.

        Written through the :class:`~odibi_provider.store.Store`: locally staged and renamed into place, on an
        object store built locally and uploaded as one object.
        """
        frame = self.materialize(frame)
        Store.locate(location).write_with(lambda path: pq.write_table(frame, path))

    def read_intermediate(self, location: str) -> pa.Table:
        store = Store.locate(location)
        if store.is_local:
            path = store.local_path()
            if not path.exists():  # a file from this engine, a directory of parts from Spark
                raise ExecutionError(f"no intermediate data at {path}; run the upstream node first")
            # one file is read directly: pq.read_table goes through pyarrow.dataset (a slower open per file)
            return pq.ParquetFile(path).read() if path.is_file() else pq.read_table(path)
        try:
            data = store.read_bytes()
        except FileNotFoundError:
            raise ExecutionError(f"no intermediate data at {store.uri}; run the upstream node first") from None
        return pq.read_table(pa.BufferReader(data))


_arrow_schemas: dict[int, list[tuple[str, str]]] = {}  # id of a live Arrow table -> its DuckDB schema


def _folder(location: str) -> str:
    """``location`` as a DuckDB allowed-directory prefix (ends with a separator, so ``/a`` is not ``/ab``)."""
    return location if location.endswith(("/", os.sep)) else location + "/"


def staging_folder(con: Any) -> str | None:
    """The private local folder a confined engine's DuckDB may write (for files built before an upload)."""
    with con.cursor() as other:  # ``con`` may hold an unfinished result
        folder = str(other.execute("SELECT current_setting('temp_directory')").fetchone()[0])
    return folder if os.path.basename(folder).startswith("odibi-duckdb-") else None


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
