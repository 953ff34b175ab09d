"""The engine contract: everything the runner asks of an engine, over the engine's own frame type.

The embedded engine's frame is a ``pyarrow.Table`` or a lazy DuckDB query (DuckDB does reading, SQL and
writing); the Spark engine's is a ``pyspark.sql.DataFrame``. The runner never looks inside a frame: it
asks the frame's engine. A frame crosses to another engine as Arrow (:meth:`Engine.to_arrow` then
:meth:`Engine.from_arrow`) or, when its node wrote a dataset, by the other engine reading that dataset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..plan.model import ReadSpec, TestSpec, WriteSpec
from .sql.dialect import Dialect

Frame = Any


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write did: rows written (0 for a skipped duplicate append), where, and how."""

    rows_written: int
    location: str
    mode: str
    skipped: bool = False  # an idempotent re-run of the same write id wrote nothing
    frame_rows: int | None = None  # rows in the frame that was written, when the write learned it
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """One validation test's result: ``failed_rows`` rows broke it (``passed`` when 0 / in range)."""

    name: str
    type: str
    on_fail: str
    passed: bool
    failed_rows: int = 0
    message: str = ""
    sql: str | None = None


@dataclass(frozen=True, slots=True)
class ValidationOutcome:
    """All tests of a node; ``valid`` holds the rows that continue, ``quarantined`` the rows set aside."""

    tests: tuple[TestOutcome, ...]
    valid: Frame
    quarantined: Frame | None = None
    quarantined_rows: int = 0
    rows: int = 0  # rows validated
    failing_rows: int | None = None  # rows failing any row-level test (counted when a gate asks)

    @property
    def blocking_failures(self) -> tuple[TestOutcome, ...]:
        return tuple(t for t in self.tests if not t.passed and t.on_fail == "fail")


class Engine(Protocol):
    """An execution engine. One instance per process is reused across nodes; it must be thread-safe.

    The SQL an engine runs for transformers, tests and incremental filters is built once, in
    :mod:`odibi_provider.engines.sql`, in the engine's ``dialect``; the engine only executes it.
    """

    name: str

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect this engine runs (quoting, literals, types, the clauses that differ)."""

    def read(self, spec: ReadSpec, connection: Any, *, options: Mapping[str, Any] | None = None) -> Frame:
        """Read a dataset (csv, json, parquet, delta, excel, sql) through ``connection``."""

    def read_rejects(self, spec: ReadSpec, connection: Any) -> Frame | None:
        """The rows a read with ``ignore_errors: true`` drops (file, line, raw line, reason), or None when the
        read cannot drop rows."""

    def write(self, frame: Frame, spec: WriteSpec, connection: Any, *, write_id: str) -> WriteOutcome:
        """Write atomically in ``spec.mode``; re-running the same ``write_id`` does not duplicate rows."""

    def sql(self, query: str, relations: Mapping[str, Frame]) -> Frame:
        """Run ``query`` where each name in ``relations`` is a table (``df`` is the current data)."""

    def transformer(self, name: str, params: Mapping[str, Any], frame: Frame,
                    relations: Mapping[str, Frame]) -> tuple[Frame, str]:
        """Apply a built-in transformer; return the result and the SQL it ran."""

    def validate(self, frame: Frame, tests: Sequence[TestSpec], *, gated: bool = False) -> ValidationOutcome:
        """Run validation tests; split rows failing ``quarantine`` tests from the rest (``gated``: also count
        the rows failing any test, for a quality gate)."""

    def quote_ident(self, name: str) -> str:
        """``name`` as an identifier in this engine's SQL dialect."""

    def literal(self, value: Any) -> str:
        """A plain Python value as a literal in this engine's SQL dialect."""

    def count(self, frame: Frame) -> int:
        """Rows in ``frame``; may compute a lazy frame."""

    def known_count(self, frame: Frame) -> int | None:
        """Rows in ``frame`` if known without scanning the data (Arrow length, Parquet metadata), else None."""

    def materialize(self, frame: Frame) -> Frame:
        """Compute a lazy frame once so later uses do not recompute it; eager frames come back as they are."""

    def handoff(self, frame: Frame, write: WriteSpec | None, connection: Any) -> Frame:
        """What downstream nodes in this process receive: a cheap scan of what was written, or the
        materialized frame when the node wrote nothing."""

    def schema(self, frame: Frame) -> list[tuple[str, str]]:
        """``[(column, type), ...]`` in the engine's type names."""

    def sample(self, frame: Frame, n: int) -> list[dict[str, Any]]:
        """Up to ``n`` rows as JSON-ready dicts."""

    def to_pandas(self, frame: Frame) -> Any:
        """A pandas DataFrame of every row (nullable integer/boolean dtypes where a column has nulls)."""

    def from_pandas(self, df: Any) -> Frame:
        """A frame from a pandas DataFrame (a named index becomes columns)."""

    def to_arrow(self, frame: Frame) -> Any:
        """Every row as a ``pyarrow.Table``: how a frame held in memory crosses to another engine."""

    def from_arrow(self, table: Any) -> Frame:
        """A frame of this engine from a ``pyarrow.Table`` (the other side of :meth:`to_arrow`)."""

    def function_input(self, frame: Frame, variant: str) -> Any:
        """What a registered Python function of engine ``variant`` receives (``any``: pandas; the engine's
        own name: its native frame)."""

    def function_output(self, output: Any, variant: str) -> Frame:
        """A function's return value as a frame; the wrong kind of value is an ``ExecutionError``."""

    def write_intermediate(self, frame: Frame, location: str) -> None:
        """Persist a node's output for another process (Parquet at ``location``), atomically."""

    def read_intermediate(self, location: str) -> Frame: ...
