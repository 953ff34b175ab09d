"""Validation tests as SQL: each row-level test becomes a boolean flag that is true where a row fails.

One query computes every flag and counts the failing rows of each test (a single scan of the data; a
``unique`` test adds a window over its key columns). Only when a ``quarantine`` test failed does a second
query materialise the flags next to the rows, which are then split with Arrow filters. ``row_count`` is a
table-level check read from the frame's length: it fails as a whole and flags no rows.

Semantics: nulls pass every test except ``not_null`` (``custom_sql`` rows where the condition is null
fail); ``unique`` compares keys with nulls equal, as pandas ``duplicated`` does; ``regex_match`` uses
DuckDB ``regexp_matches`` (the pattern may match anywhere in the value; anchor it with ``^...$`` to match
the whole value) on the value cast to text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.frozen import thaw
from ...plan.model import TestSpec
from ..base import TestOutcome, ValidationOutcome
from .transformers import ident, literal, unknown

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
    window: bool = False

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
        return Check(spec, flag, f"a duplicate {shown}", window=True)
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
        condition = _arg(spec, "condition", str, "a SQL condition")
        return Check(spec, f"(NOT coalesce(({condition}), false))", f"the condition `{condition}` false or null")
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


def _rows(n: int) -> str:
    return "1 row has" if n == 1 else f"{n} rows have"


def _row_count(spec: TestSpec, total: int) -> tuple[bool, str]:
    low, high = spec.args.get("min"), spec.args.get("max")
    if low is not None and total < low:
        return False, f"row count {total} is below the minimum {low}"
    if high is not None and total > high:
        return False, f"row count {total} is above the maximum {high}"
    return True, f"row count {total} is within [{0 if low is None else low}, {'inf' if high is None else high}]"


def outcome(check: Check, failed: int, total: int) -> TestOutcome:
    """The TestOutcome of ``check`` given its failing-row count (row_count: the frame's ``total``)."""
    spec = check.spec
    if check.flag is None:
        passed, message = _row_count(spec, total)
        return TestOutcome(spec.name, spec.type, spec.on_fail, passed, 0, message, check.sql)
    message = f"{_rows(failed)} {check.subject}" if failed else f"no rows have {check.subject}"
    return TestOutcome(spec.name, spec.type, spec.on_fail, failed == 0, failed, message, check.sql)


def _flags(checks: Sequence[Check]) -> str:
    return ", ".join(f"{c.flag} AS {ident(f'__odibi_{i}')}" for i, c in enumerate(checks))


def count_failures(checks: Sequence[Check], frame: pa.Table, run: Run) -> list[int]:
    """Failing rows per row-level check, in one query over ``frame``."""
    if not checks:
        return []
    counts = ", ".join(f"count_if({ident(f'__odibi_{i}')})" for i in range(len(checks)))
    query = f"SELECT {counts} FROM (SELECT {_flags(checks)} FROM df)"
    try:
        row = run(query, {"df": frame}).to_pylist()[0]
    except ExecutionError as exc:
        raise _locate(checks, frame, run, exc) from exc
    return [int(v or 0) for v in row.values()]


def _locate(checks: Sequence[Check], frame: pa.Table, run: Run, error: ExecutionError) -> ExecutionError:
    """Name the test whose SQL broke the combined query (binding errors show up with LIMIT 0)."""
    for check in checks:
        try:
            run(f"SELECT {check.flag} FROM df LIMIT 0", {"df": frame})
        except ExecutionError as exc:
            return ExecutionError(f"validation test '{check.spec.name}' ({check.spec.type}) could not run: {exc}")
    return ExecutionError(f"validation failed to run: {error}")


def split(frame: pa.Table, failed: Sequence[Check], quarantine: Sequence[Check], run: Run
          ) -> tuple[pa.Table, pa.Table]:
    """(valid, quarantined): rows failing a ``quarantine`` check move out, with the names of every test they
    failed in ``_odibi_failed_tests`` (comma-separated)."""
    flags = [ident(f"__odibi_{i}") for i in range(len(failed))]
    keep = [c for c in frame.column_names if c != FAILED_COLUMN]
    names = ", ".join(f"CASE WHEN {f} THEN {literal(c.spec.name)} END" for f, c in zip(flags, failed, strict=True))
    is_quarantined = " OR ".join(f for f, c in zip(flags, failed, strict=True) if c in quarantine)
    query = (f"SELECT {', '.join(map(ident, keep))}, ({is_quarantined}) AS {ident(QUARANTINE_FLAG)}, "
             f"concat_ws(', ', {names}) AS {ident(FAILED_COLUMN)} FROM (SELECT *, {_flags(failed)} FROM df)")
    table = run(query, {"df": frame})
    mask = table.column(QUARANTINE_FLAG)
    valid = table.filter(pc.invert(mask)).select(keep)
    return valid, table.filter(mask).drop_columns([QUARANTINE_FLAG])


def validate(frame: pa.Table, tests: Sequence[TestSpec], run: Run) -> ValidationOutcome:
    """Run ``tests`` over ``frame``; rows failing a ``quarantine`` test are split out."""
    checks = [compile_check(t, frame.column_names) for t in tests]
    row_checks = [c for c in checks if c.flag is not None]
    counts = dict(zip((id(c) for c in row_checks), count_failures(row_checks, frame, run), strict=True))
    outcomes = tuple(outcome(c, counts.get(id(c), 0), frame.num_rows) for c in checks)
    failed = [c for c in row_checks if counts[id(c)]]
    quarantine = [c for c in failed if c.spec.on_fail == "quarantine"]
    if not quarantine:
        return ValidationOutcome(tests=outcomes, valid=frame)
    valid, quarantined = split(frame, failed, quarantine, run)
    return ValidationOutcome(tests=outcomes, valid=valid, quarantined=quarantined,
                             quarantined_rows=quarantined.num_rows)
