"""Validation tests as SQL: each row-level test becomes a boolean flag that is true where a row fails.

Scans of the data:
- without ``quarantine`` tests, one query counts the failing rows of every test and returns one row;
- with ``quarantine`` tests, one query returns only the flag columns, row-aligned with the frame (DuckDB
  keeps insertion order when there is no window), so counts are Arrow sums and the split is an Arrow filter
  of the original table (no copy of the data through DuckDB);
- a ``unique`` test is a window over its keys, which does not keep row order (nor may a ``custom_sql``
  condition with a window or a subquery): then the counting query runs first and, only if a quarantine
  test failed, a second query puts the flags next to the rows.
``row_count`` is a table-level check on the frame's length: it fails as a whole and flags no rows.

Semantics: nulls pass every test except ``not_null`` (``custom_sql`` rows where the condition is null
fail); ``unique`` compares keys with nulls equal, as pandas ``duplicated`` does; ``regex_match`` uses
DuckDB ``regexp_matches`` (the pattern may match anywhere in the value; anchor it with ``^...$`` to match
the whole value) on the value cast to text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.frozen import thaw
from ...plan.model import TestSpec
from ..base import TestOutcome, ValidationOutcome
from ..outcomes import test_outcome
from ..params import unknown
from .transformers import ident, literal

FAILED_COLUMN = "_odibi_failed_tests"
QUARANTINE_FLAG = "__odibi_quarantine"
ROW_TESTS = ("not_null", "unique", "accepted_values", "range", "regex_match", "custom_sql")
Run = Callable[[str, Mapping[str, Any]], pa.Table]


@dataclass(frozen=True)
class Check:
    """A compiled test: ``flag`` is SQL that is true for a failing row (None for a table-level test)."""

    spec: TestSpec
    flag: str | None
    subject: str  # what a failing row has: "nulls in order_id"
    window: bool = False  # the flag holds a window function (QUALIFY, not WHERE)
    ordered: bool = True  # the flag query keeps the input's row order (no window, no subquery)

    @property
    def sql(self) -> str:
        """A query that lists the failing rows (or the row count) of ``df``."""
        if self.flag is None:
            return "SELECT count(*) FROM df"
        return f"SELECT * FROM df {'QUALIFY' if self.window else 'WHERE'} {self.flag}"


def _arg(spec: TestSpec, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
    value = thaw(spec.args.get(key))
    if not isinstance(value, kind):
        raise ExecutionError(f"validation test '{spec.name}' ({spec.type}): '{key}' must be {expected}, "
                             f"got {value!r}")
    return value


def _column(spec: TestSpec, name: str, columns: Sequence[str]) -> str:
    exact = {c.lower(): c for c in columns}
    if not isinstance(name, str) or name.lower() not in exact:
        raise ExecutionError(f"validation test '{spec.name}' ({spec.type}): "
                             + unknown("column", str(name), columns, "columns of the data"))
    return exact[name.lower()]


def _columns(spec: TestSpec, columns: Sequence[str]) -> list[str]:
    names = spec.args.get("columns")
    names = [names] if isinstance(names, str) else _arg(spec, "columns", (list, tuple), "a list of column names")
    if not names:
        raise ExecutionError(f"validation test '{spec.name}' ({spec.type}): 'columns' must name a column")
    return [_column(spec, n, columns) for n in names]


def _text_literal(value: Any) -> str:
    """A value as a string literal, so DuckDB casts it to the column's type (1 matches '1' and 1)."""
    return literal(str(value).lower() if isinstance(value, bool) else str(value))


def _bounds(spec: TestSpec) -> tuple[Any, Any]:
    low, high = spec.args.get("min"), spec.args.get("max")
    for key, value in (("min", low), ("max", high)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ExecutionError(f"validation test '{spec.name}' ({spec.type}): '{key}' must be a number, "
                                 f"got {value!r}")
    return low, high


def compile_check(spec: TestSpec, columns: Sequence[str]) -> Check:
    """The flag SQL and message subject of one test over data with ``columns``."""
    kind = spec.type
    if kind in ("not_null", "unique"):
        cols = _columns(spec, columns)
        shown = ", ".join(cols) if len(cols) == 1 else f"({', '.join(cols)})"
        if kind == "not_null":
            flag = "(" + " OR ".join(f"{ident(c)} IS NULL" for c in cols) + ")"
            return Check(spec, flag, f"nulls in {', '.join(cols)}")
        flag = f"(count(*) OVER (PARTITION BY {', '.join(map(ident, cols))}) > 1)"
        return Check(spec, flag, f"a duplicate {shown}", window=True, ordered=False)
    if kind == "accepted_values":
        col = _column(spec, _arg(spec, "column", str, "a column name"), columns)
        values = [v for v in _arg(spec, "values", (list, tuple), "a list of values") if v is not None]
        allowed = f" AND {ident(col)} NOT IN ({', '.join(map(_text_literal, values))})" if values else ""
        return Check(spec, f"({ident(col)} IS NOT NULL{allowed})",
                     f"{col} outside the accepted values {', '.join(map(str, values)) or '(none)'}")
    if kind == "range":
        return _range(spec, columns)
    if kind == "regex_match":
        col = _column(spec, _arg(spec, "column", str, "a column name"), columns)
        pattern = _arg(spec, "pattern", str, "a regular expression")
        flag = f"coalesce(NOT regexp_matches(CAST({ident(col)} AS VARCHAR), {literal(pattern)}), false)"
        return Check(spec, flag, f"{col} not matching {pattern!r}")
    if kind == "custom_sql":
        return _custom_sql(spec)
    if kind == "row_count":
        _bounds(spec)
        return Check(spec, None, "")
    hint = did_you_mean(kind, (*ROW_TESTS, "row_count")) or f"test types: {known((*ROW_TESTS, 'row_count'))}"
    raise ExecutionError(f"validation test '{spec.name}': unknown type '{kind}'; {hint}")


def _range(spec: TestSpec, columns: Sequence[str]) -> Check:
    col = _column(spec, _arg(spec, "column", str, "a column name"), columns)
    low, high = _bounds(spec)
    parts = [f"{ident(col)} < {literal(low)}"] if low is not None else []
    parts += [f"{ident(col)} > {literal(high)}"] if high is not None else []
    flag = f"coalesce(({' OR '.join(parts)}), false)" if parts else "false"
    lo, hi = "-inf" if low is None else low, "inf" if high is None else high
    return Check(spec, flag, f"{col} outside [{lo}, {hi}]")


def _custom_sql(spec: TestSpec) -> Check:
    condition = _arg(spec, "condition", str, "a SQL condition")
    window = bool(re.search(r"\bover\b", condition, re.IGNORECASE))
    subquery = bool(re.search(r"\bselect\b", condition, re.IGNORECASE))
    return Check(spec, f"(NOT coalesce(({condition}), false))", f"the condition `{condition}` false or null",
                 window=window, ordered=not (window or subquery))


def outcome(check: Check, failed: int, total: int) -> TestOutcome:
    """The TestOutcome of ``check`` given its failing-row count (row_count: the frame's ``total``)."""
    return test_outcome(check.spec, subject=check.subject, sql=check.sql, failed=failed, total=total,
                        table_level=check.flag is None)


def _flag(i: int) -> str:
    return ident(f"__odibi_{i}")


def _flags(checks: Sequence[Check]) -> str:
    return ", ".join(f"{c.flag} AS {_flag(i)}" for i, c in enumerate(checks))


def _query(query: str, checks: Sequence[Check], frame: pa.Table, run: Run) -> pa.Table:
    try:
        return run(query, {"df": frame})
    except ExecutionError as exc:
        raise _locate(checks, frame, run, exc) from exc


def _locate(checks: Sequence[Check], frame: pa.Table, run: Run, error: ExecutionError) -> ExecutionError:
    """Name the test whose SQL broke the combined query (binding errors show up with LIMIT 0)."""
    for check in checks:
        try:
            run(f"SELECT {check.flag} FROM df LIMIT 0", {"df": frame})
        except ExecutionError as exc:
            return ExecutionError(f"validation test '{check.spec.name}' ({check.spec.type}) could not run: {exc}")
    return ExecutionError(f"validation failed to run: {error}")


def count_failures(checks: Sequence[Check], frame: pa.Table, run: Run) -> list[int]:
    """Failing rows per row-level check: one query over ``frame`` returning one row."""
    if not checks:
        return []
    counts = ", ".join(f"count_if({_flag(i)})" for i in range(len(checks)))
    row = _query(f"SELECT {counts} FROM (SELECT {_flags(checks)} FROM df)", checks, frame, run).to_pylist()[0]
    return [int(v or 0) for v in row.values()]


def _failed_names(checks: Sequence[Check], counts: Sequence[int]) -> str:
    """SQL for the comma-separated names of the checks a row failed (over the flag columns)."""
    names = ", ".join(f"CASE WHEN {_flag(i)} THEN {literal(c.spec.name)} END"
                      for i, c in enumerate(checks) if counts[i])
    return f"concat_ws(', ', {names})"


def flag_and_split(frame: pa.Table, checks: Sequence[Check], quarantine: Sequence[int], run: Run
                   ) -> tuple[list[int], pa.Table, pa.Table | None]:
    """Counts, valid and quarantined rows from one flags-only scan (no window checks: DuckDB keeps the
    insertion order, so the flags line up with ``frame`` and Arrow filters split it without a copy)."""
    flags = _query(f"SELECT {_flags(checks)} FROM df", checks, frame, run)
    if flags.num_rows != frame.num_rows:
        raise ExecutionError("validation flags do not line up with the data; this is a bug, please report it")
    counts = [int(pc.sum(flags.column(i)).as_py() or 0) for i in range(len(checks))]
    if not any(counts[i] for i in quarantine):
        return counts, frame, None
    mask = reduce(pc.or_, (flags.column(i) for i in quarantine))
    keep = [c for c in frame.column_names if c != FAILED_COLUMN]
    failed = run(f"SELECT {_failed_names(checks, counts)} FROM df", {"df": flags.filter(mask)}).column(0)
    quarantined = frame.filter(mask).select(keep).append_column(FAILED_COLUMN, failed)
    return counts, frame.filter(pc.invert(mask)).select(keep), quarantined


def split(frame: pa.Table, checks: Sequence[Check], counts: Sequence[int], quarantine: Sequence[int], run: Run
          ) -> tuple[pa.Table, pa.Table]:
    """(valid, quarantined) when a window check is present: one query puts the flags next to the rows."""
    keep = [c for c in frame.column_names if c != FAILED_COLUMN]
    is_quarantined = " OR ".join(_flag(i) for i in quarantine)
    query = (f"SELECT {', '.join(map(ident, keep))}, ({is_quarantined}) AS {ident(QUARANTINE_FLAG)}, "
             f"{_failed_names(checks, counts)} AS {ident(FAILED_COLUMN)} FROM (SELECT *, {_flags(checks)} FROM df)")
    table = run(query, {"df": frame})
    mask = table.column(QUARANTINE_FLAG)
    return table.filter(pc.invert(mask)).select(keep), table.filter(mask).drop_columns([QUARANTINE_FLAG])


def validate(frame: pa.Table, tests: Sequence[TestSpec], run: Run) -> ValidationOutcome:
    """Run ``tests`` over ``frame``; rows failing a ``quarantine`` test move to ``quarantined``."""
    checks = [compile_check(t, frame.column_names) for t in tests]
    rows = [c for c in checks if c.flag is not None]
    quarantine = [i for i, c in enumerate(rows) if c.spec.on_fail == "quarantine"]
    valid, quarantined = frame, None
    if quarantine and all(c.ordered for c in rows):
        counts, valid, quarantined = flag_and_split(frame, rows, quarantine, run)
    else:
        counts = count_failures(rows, frame, run)
        if any(counts[i] for i in quarantine):
            valid, quarantined = split(frame, rows, counts, quarantine, run)
    by_check = {id(c): n for c, n in zip(rows, counts, strict=True)}
    outcomes = tuple(outcome(c, by_check.get(id(c), 0), frame.num_rows) for c in checks)
    return ValidationOutcome(tests=outcomes, valid=valid, quarantined=quarantined,
                             quarantined_rows=0 if quarantined is None else quarantined.num_rows)
