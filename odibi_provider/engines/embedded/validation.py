"""Running validation on DuckDB + Arrow (the tests and their SQL: :mod:`odibi_provider.engines.sql.validation`).

- without ``quarantine`` tests, one query counts the failing rows of every test and returns one row;
- with ``quarantine`` tests, one query returns only the flag columns, row-aligned with the frame (DuckDB
  keeps insertion order when there is no window), so counts are Arrow sums and the split is an Arrow filter
  of the original table (no copy of the data through DuckDB);
- a ``unique`` test is a window over its keys, which does not keep row order (nor may a ``custom_sql``
  condition with a window or a subquery), and table-level aggregates (freshness, distribution) need the
  columns: then the counting query runs first and, only if a quarantine test failed, a second query puts
  the flags next to the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ...errors import ExecutionError
from ...plan.model import TestSpec
from ..base import ValidationOutcome
from ..sql.dialect import DUCKDB
from ..sql.validation import FAILED_COLUMN, QUARANTINE_FLAG, Scan, Suite

__all__ = ["FAILED_COLUMN", "validate"]
Run = Callable[[str, Mapping[str, Any]], pa.Table]
ORDINAL = "__odibi_ordinal"


def flag_and_split(frame: pa.Table, suite: Suite, run: Run) -> tuple[Scan, pa.Table, pa.Table | None]:
    """Counts, valid and quarantined rows from one flags-only scan (no window checks: DuckDB keeps the
    insertion order, so the flags line up with ``frame`` and Arrow filters split it without a copy)."""
    flags = suite.run(suite.flags_query(), lambda query: run(query, {"df": frame}))
    if flags.num_rows != frame.num_rows:
        raise ExecutionError("validation flags do not line up with the data; this is a bug, please report it")
    counts = [int(pc.sum(flags.column(i)).as_py() or 0) for i in range(len(suite.rows))]
    failing = None
    if suite.gated:
        failing = frame.num_rows - int(pc.sum(pc.invert(_any(flags, range(len(suite.rows))))).as_py() or 0)
    if not any(counts[i] for i in suite.quarantine):
        return Scan(frame.num_rows, counts, 0, failing, []), frame, None
    mask = _any(flags, suite.quarantine)
    keep = suite.keep(frame.column_names)
    failed = run(f"SELECT {suite.failed_names(counts)} FROM df", {"df": flags.filter(mask)}).column(0)
    quarantined = frame.filter(mask).select(keep).append_column(FAILED_COLUMN, failed)
    found = Scan(frame.num_rows, counts, quarantined.num_rows, failing, [])
    return found, frame.filter(pc.invert(mask)).select(keep), quarantined


def _any(flags: pa.Table, columns: Sequence[int]) -> Any:
    """True where any of the flag ``columns`` is true (nulls as false)."""
    mask: Any = flags.column(columns[0]).fill_null(pa.scalar(False))
    for i in columns[1:]:
        mask = pc.or_(mask, flags.column(i).fill_null(pa.scalar(False)))
    return mask


def split(frame: pa.Table, suite: Suite, counts: Sequence[int], run: Run) -> tuple[pa.Table, pa.Table]:
    """(valid, quarantined) when a window check is present: one query puts the flags next to the rows; an
    ordinal column restores the input's row order, which a window does not keep."""
    keep = suite.keep(frame.column_names)
    numbered = frame.select(keep).append_column(ORDINAL, pa.array(range(frame.num_rows), pa.int64()))
    table = run(suite.split_query([*keep, ORDINAL], counts), {"df": numbered}).sort_by(ORDINAL)
    table = table.drop_columns([ORDINAL])
    mask = table.column(QUARANTINE_FLAG)
    return table.filter(pc.invert(mask)).select(keep), table.filter(mask).drop_columns([QUARANTINE_FLAG])


def validate(frame: pa.Table, tests: Sequence[TestSpec], run: Run, schema: Mapping[str, str], *,
             gated: bool = False) -> ValidationOutcome:
    """Run ``tests`` over ``frame`` (``schema``: column -> DuckDB type); rows failing a ``quarantine``
    test move to ``quarantined``; ``gated`` also counts the rows failing any test."""
    suite = Suite.compile(DUCKDB, tests, schema, gated=gated)
    valid, quarantined = frame, None
    if suite.quarantine and suite.ordered and suite.rows:
        found, valid, quarantined = flag_and_split(frame, suite, run)
    else:
        row = suite.run(suite.count_query(), lambda query: run(query, {"df": frame})).to_pylist()[0]
        found = suite.scan(list(row.values()))
        if found.moved:
            valid, quarantined = split(frame, suite, found.counts, run)
    moved = 0 if quarantined is None else quarantined.num_rows
    return ValidationOutcome(tests=suite.outcomes(found.counts, frame.num_rows, found.aggregates), valid=valid,
                             quarantined=quarantined, quarantined_rows=moved, rows=frame.num_rows,
                             failing_rows=found.failing)
