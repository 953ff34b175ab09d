"""SparkEngine: the engine protocol over ``pyspark.sql.DataFrame`` (``engine: spark`` in a project).

One SparkSession per process (:mod:`.session`), shared by every node and thread; SQL steps see their
relations through per-call isolation (:mod:`.relations`), so parallel nodes never see each other's
``df``. Frames are lazy: a count or a write computes them.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import ExecutionError
from ...plan.frozen import FrozenMap
from ...plan.model import ReadSpec, TestSpec, WriteSpec
from ..base import ValidationOutcome, WriteOutcome
from ..jsonable import jsonable
from ..sql.dialect import SPARK
from . import convert
from .session import first_line, get_spark

HANDOFF_FORMATS = ("parquet", "delta")


class SparkEngine:
    """The Spark engine: reading, Spark SQL, built-in transformers, validation and writing on a SparkSession."""

    name = "spark"
    dialect = SPARK

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The process's SparkSession (built on first use from ``configure_spark`` / ``ODIBI_SPARK_*``)."""
        return get_spark()

    def read(self, spec: ReadSpec, connection: Any, *, options: Mapping[str, Any] | None = None) -> Any:
        from .io import read_frame

        if options:
            spec = dataclasses.replace(spec, options=FrozenMap({**spec.options, **options}))
        return read_frame(self.session, spec, connection, self.from_pandas)

    def read_rejects(self, spec: ReadSpec, connection: Any) -> Any:
        from .io import read_rejects

        return read_rejects(self.session, spec, connection)

    def write(self, frame: Any, spec: WriteSpec, connection: Any, *, write_id: str) -> WriteOutcome:
        from .io import write_frame

        return write_frame(frame, spec, connection, write_id=write_id)

    def sql(self, query: str, relations: Mapping[str, Any]) -> Any:
        from .relations import run_sql

        return run_sql(self._session_of(relations), query, relations)

    def transformer(self, name: str, params: Mapping[str, Any], frame: Any,
                    relations: Mapping[str, Any]) -> tuple[Any, str]:
        from ..sql.transformers import build_sql
        from .relations import run_sql

        others = {k: list(v.columns) for k, v in relations.items() if k != "df"}
        from ..sql.library_core import NEEDS_DF_TYPES

        types = ({k: dict(self.schema(v)) for k, v in {**relations, "df": frame}.items()}
                 if name == "union" or name in NEEDS_DF_TYPES else {})
        query = build_sql(self.dialect, name, params, list(frame.columns), others, types)
        return run_sql(frame.sparkSession, query, {**relations, "df": frame}, what=f"transformer '{name}'"), query

    def validate(self, frame: Any, tests: Sequence[TestSpec], *, gated: bool = False) -> ValidationOutcome:
        from .relations import run_sql
        from .validation import validate

        def run(query: str, relations: Mapping[str, Any]) -> Any:
            return run_sql(frame.sparkSession, query, relations, what="validation")

        return validate(frame, tests, run, dict(self.schema(frame)), gated=gated)

    def quote_ident(self, name: str) -> str:
        return self.dialect.ident(name)

    def literal(self, value: Any) -> str:
        return self.dialect.literal(value)

    def count(self, frame: Any) -> int:
        """Rows in ``frame`` (runs a Spark job; remembered for :meth:`known_count`)."""
        rows = int(frame.count())
        self._remember(frame, rows)
        return rows

    def known_count(self, frame: Any) -> int | None:
        """Rows in ``frame`` if this engine already counted it (a Spark frame is lazy otherwise)."""
        return self._counts.get(id(frame))

    def materialize(self, frame: Any) -> Any:
        """``frame`` computed once and kept by Spark (a local checkpoint, else a cached copy)."""
        try:
            done = frame.localCheckpoint(eager=True)
        except Exception:  # noqa: BLE001 - servers without local checkpoints (Sail) cache instead
            done = frame.persist()
        self.count(done)
        return done

    def handoff(self, frame: Any, write: WriteSpec | None, connection: Any) -> Any:
        """A scan of the Parquet/Delta data an overwrite just wrote, else the materialized frame."""
        if write is not None and write.mode == "overwrite" and write.format in HANDOFF_FORMATS and write.path:
            spec = write.as_read()
            return self.read(spec, connection)
        return self.materialize(frame)

    def schema(self, frame: Any) -> list[tuple[str, str]]:
        """``[(column, Spark type), ...]``, e.g. ``("amount", "decimal(10,2)")``."""
        return [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]

    def sample(self, frame: Any, n: int) -> list[dict[str, Any]]:
        rows = convert.to_arrow(frame.limit(max(n, 0))).to_pylist()
        return [{k: jsonable(v) for k, v in row.items()} for row in rows]

    def to_pandas(self, frame: Any) -> Any:
        """A pandas DataFrame (collects every row to the driver: for small data and ``any`` functions)."""
        return convert.to_pandas(frame)

    def from_pandas(self, df: Any) -> Any:
        return convert.from_pandas(self.session, df)

    def to_arrow(self, frame: Any) -> Any:
        """Every row as a ``pyarrow.Table`` (collected to the driver)."""
        return convert.to_arrow(frame)

    def from_arrow(self, table: Any) -> Any:
        return convert.from_arrow(self.session, table)

    def function_input(self, frame: Any, variant: str) -> Any:
        """What a registered function receives: the Spark DataFrame for a ``spark`` variant, else pandas."""
        return frame if variant == self.name else self.to_pandas(frame)

    def function_output(self, output: Any, variant: str) -> Any:
        """A function's result as a frame: a Spark DataFrame as it is, a pandas one converted."""
        from pyspark.sql import DataFrame

        if isinstance(output, DataFrame):
            return output
        if variant == self.name:
            raise ExecutionError(f"a spark function must return a Spark DataFrame, got {type(output).__name__}")
        return self.from_pandas(output)

    def write_intermediate(self, frame: Any, location: str) -> None:
        """Parquet at ``location`` (a directory of part files), swapped in atomically."""
        from .localfs import commit, is_local, local_path, recover, staged

        if not is_local(location):
            raise ExecutionError(f"intermediate storage must be a local path, got '{location}'")
        target = local_path(location)
        recover(target)
        with staged(target) as stage:
            frame.write.mode("overwrite").parquet(str(stage))
            commit(stage, target)

    def read_intermediate(self, location: str) -> Any:
        from .localfs import local_path

        path = local_path(location)
        if not path.exists():
            raise ExecutionError(f"no intermediate data at {path}; run the upstream node first")
        try:
            return self.session.read.parquet(str(path))
        except Exception as exc:
            raise ExecutionError(f"cannot read the intermediate data at {path}: {first_line(exc)}") from exc

    def _session_of(self, relations: Mapping[str, Any]) -> Any:
        for frame in relations.values():
            return frame.sparkSession
        return self.session

    def _remember(self, frame: Any, rows: int) -> None:
        key = id(frame)
        with self._lock:
            if key not in self._counts:
                weakref.finalize(frame, self._counts.pop, key, None)
            self._counts[key] = rows
