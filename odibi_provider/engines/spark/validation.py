"""Validation tests on Spark: each row-level test is a boolean flag column that is true where a row fails.

One aggregation counts the failing rows of every test (one scan). When a ``quarantine`` test failed,
the flags are added to the rows and the frame is split by filters (lazily: the split is computed when
the rows are written). ``row_count`` is a table-level check on the frame's length.

Semantics as on the embedded engine: nulls pass every test except ``not_null`` (``custom_sql`` rows
where the condition is null fail); ``unique`` compares keys with nulls equal; ``regex_match`` matches
anywhere in the value cast to text (anchor with ``^...$``; Java regular expressions); quarantined rows
carry ``_odibi_failed_tests``, the comma-separated names of the tests they failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.frozen import thaw
from ...plan.model import TestSpec
from ..base import TestOutcome, ValidationOutcome
from ..outcomes import test_outcome
from ..params import unknown
from .sqltext import ident, literal, string_literal

FAILED_COLUMN = "_odibi_failed_tests"
ROW_TESTS = ("not_null", "unique", "accepted_values", "range", "regex_match", "custom_sql")
Run = Callable[[str, Mapping[str, Any]], Any]  # (query, relations) -> DataFrame
_NUMERIC = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")


@dataclass(frozen=True)
class Check:
    """A compiled test: ``flag`` is SQL that is true for a failing row (None for a table-level test)."""

    spec: TestSpec
    flag: str | None
    subject: str  # what a failing row has: "nulls in order_id"

    @property
    def sql(self) -> str:
        """A query that lists the failing rows (or the row count) of ``df``."""
        if self.flag is None:
            return "SELECT count(*) FROM df"
        return f"SELECT * FROM (SELECT *, {self.flag} AS __odibi_failed FROM df) WHERE __odibi_failed"


def _fail(spec: TestSpec, problem: str) -> ExecutionError:
    return ExecutionError(f"validation test '{spec.name}' ({spec.type}): {problem}")


def _arg(spec: TestSpec, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
    value = thaw(spec.args.get(key))
    if not isinstance(value, kind):
        raise _fail(spec, f"'{key}' must be {expected}, got {value!r}")
    return value


def _column(spec: TestSpec, name: Any, types: Mapping[str, str]) -> str:
    exact = {c.lower(): c for c in types}
    if not isinstance(name, str) or name.lower() not in exact:
        raise _fail(spec, unknown("column", str(name), list(types), "columns of the data"))
    return exact[name.lower()]


def _columns(spec: TestSpec, types: Mapping[str, str]) -> list[str]:
    names = spec.args.get("columns")
    names = [names] if isinstance(names, str) else _arg(spec, "columns", (list, tuple), "a list of column names")
    if not names:
        raise _fail(spec, "'columns' must name a column")
    return [_column(spec, n, types) for n in names]


def _bounds(spec: TestSpec) -> tuple[Any, Any]:
    low, high = spec.args.get("min"), spec.args.get("max")
    for key, value in (("min", low), ("max", high)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _fail(spec, f"'{key}' must be a number, got {value!r}")
    return low, high


def _value_sql(value: Any, kind: str) -> str | None:
    """``value`` as a literal comparable with a column of Spark type ``kind`` (None: it can never match)."""
    if kind.startswith(_NUMERIC):
        try:
            number = float(str(value)) if not isinstance(value, bool) else None
        except ValueError:
            return None
        return None if number is None else (str(int(number)) if number.is_integer() else repr(number))
    if kind == "boolean":
        text = str(value).lower()
        return {"true": "TRUE", "false": "FALSE"}.get(text)
    if kind in ("date", "timestamp", "timestamp_ntz"):
        return f"try_cast({string_literal(str(value))} AS {kind.upper()})"
    return string_literal(str(value).lower() if isinstance(value, bool) else str(value))


def _accepted(spec: TestSpec, types: Mapping[str, str]) -> Check:
    col = _column(spec, _arg(spec, "column", str, "a column name"), types)
    values = [v for v in _arg(spec, "values", (list, tuple), "a list of values") if v is not None]
    kind = types[col].lower()
    if kind in ("string",) or kind.startswith(_NUMERIC) or kind in ("boolean", "date", "timestamp", "timestamp_ntz"):
        target, literals = ident(col), [s for v in values if (s := _value_sql(v, kind)) is not None]
    else:
        target, literals = f"CAST({ident(col)} AS STRING)", [string_literal(str(v)) for v in values]
    allowed = f" AND NOT coalesce({target} IN ({', '.join(literals)}), false)" if literals else ""
    shown = ", ".join(map(str, values)) or "(none)"
    return Check(spec, f"({ident(col)} IS NOT NULL{allowed})", f"{col} outside the accepted values {shown}")


def _range(spec: TestSpec, types: Mapping[str, str]) -> Check:
    col = _column(spec, _arg(spec, "column", str, "a column name"), types)
    low, high = _bounds(spec)
    parts = [f"{ident(col)} < {literal(low)}"] if low is not None else []
    parts += [f"{ident(col)} > {literal(high)}"] if high is not None else []
    flag = f"coalesce(({' OR '.join(parts)}), false)" if parts else "false"
    lo, hi = "-inf" if low is None else low, "inf" if high is None else high
    return Check(spec, flag, f"{col} outside [{lo}, {hi}]")


def compile_check(spec: TestSpec, types: Mapping[str, str]) -> Check:
    """The flag SQL and message subject of one test over data with columns ``types`` (name -> type)."""
    kind = spec.type
    if kind in ("not_null", "unique"):
        cols = _columns(spec, types)
        if kind == "not_null":
            return Check(spec, "(" + " OR ".join(f"{ident(c)} IS NULL" for c in cols) + ")",
                         f"nulls in {', '.join(cols)}")
        shown = ", ".join(cols) if len(cols) == 1 else f"({', '.join(cols)})"
        return Check(spec, f"(count(1) OVER (PARTITION BY {', '.join(map(ident, cols))}) > 1)",
                     f"a duplicate {shown}")
    if kind == "accepted_values":
        return _accepted(spec, types)
    if kind == "range":
        return _range(spec, types)
    if kind == "regex_match":
        col = _column(spec, _arg(spec, "column", str, "a column name"), types)
        pattern = _arg(spec, "pattern", str, "a regular expression")
        flag = f"coalesce(NOT (CAST({ident(col)} AS STRING) RLIKE {string_literal(pattern)}), false)"
        return Check(spec, flag, f"{col} not matching {pattern!r}")
    if kind == "custom_sql":
        condition = _arg(spec, "condition", str, "a SQL condition")
        return Check(spec, f"(NOT coalesce(({condition}), false))", f"the condition `{condition}` false or null")
    if kind == "row_count":
        _bounds(spec)
        return Check(spec, None, "")
    hint = did_you_mean(kind, (*ROW_TESTS, "row_count")) or f"test types: {known((*ROW_TESTS, 'row_count'))}"
    raise ExecutionError(f"validation test '{spec.name}': unknown type '{kind}'; {hint}")


def outcome(check: Check, failed: int, total: int) -> TestOutcome:
    """The TestOutcome of ``check`` given its failing-row count (row_count: the frame's ``total``)."""
    return test_outcome(check.spec, subject=check.subject, sql=check.sql, failed=failed, total=total,
                        table_level=check.flag is None)


def _flag(i: int) -> str:
    return ident(f"__odibi_{i}")


def _flagged(checks: Sequence[Check]) -> str:
    return "SELECT *, " + ", ".join(f"{c.flag} AS {_flag(i)}" for i, c in enumerate(checks)) + " FROM df"


def _counts(checks: Sequence[Check], quarantine: Sequence[int], frame: Any, run: Run
            ) -> tuple[int, list[int], int]:
    """(rows, failing rows per check, rows failing any quarantine test) from one aggregation."""
    aggregates = ["count(1)", *(f"count_if({_flag(i)})" for i in range(len(checks)))]
    if quarantine:
        aggregates.append(f"count_if({' OR '.join(_flag(i) for i in quarantine)})")
    source = _flagged(checks) if checks else "SELECT * FROM df"
    try:
        row = list(run(f"SELECT {', '.join(aggregates)} FROM ({source})", {"df": frame}).collect()[0])
    except ExecutionError as exc:
        raise _locate(checks, frame, run, exc) from exc
    values = [int(v or 0) for v in row]
    return values[0], values[1:len(checks) + 1], values[-1] if quarantine else 0


def _locate(checks: Sequence[Check], frame: Any, run: Run, error: ExecutionError) -> ExecutionError:
    """Name the test whose SQL broke the combined query."""
    for check in checks:
        try:
            run(f"SELECT {check.flag} FROM df", {"df": frame})
        except ExecutionError as exc:
            return ExecutionError(f"validation test '{check.spec.name}' ({check.spec.type}) could not run: {exc}")
    return ExecutionError(f"validation failed to run: {error}")


def split(frame: Any, checks: Sequence[Check], counts: Sequence[int], quarantine: Sequence[int], run: Run
          ) -> tuple[Any, Any]:
    """(valid, quarantined): the rows without and with a failed quarantine test, lazily."""
    keep = ", ".join(ident(c) for c in frame.columns if c != FAILED_COLUMN)
    names = ", ".join(f"CASE WHEN {_flag(i)} THEN {literal(c.spec.name)} END"
                      for i, c in enumerate(checks) if counts[i])
    is_quarantined = " OR ".join(_flag(i) for i in quarantine)
    flagged = run(f"SELECT {keep}, ({is_quarantined}) AS __odibi_q, concat_ws(', ', {names}) AS "
                  f"{ident(FAILED_COLUMN)} FROM ({_flagged(checks)})", {"df": frame})
    valid = run(f"SELECT {keep} FROM df WHERE NOT __odibi_q", {"df": flagged})
    quarantined = run(f"SELECT {keep}, {ident(FAILED_COLUMN)} FROM df WHERE __odibi_q", {"df": flagged})
    return valid, quarantined


def validate(frame: Any, tests: Sequence[TestSpec], run: Run) -> ValidationOutcome:
    """Run ``tests`` over ``frame``; rows failing a ``quarantine`` test move to ``quarantined``."""
    types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    checks = [compile_check(t, types) for t in tests]
    rows = [c for c in checks if c.flag is not None]
    quarantine = [i for i, c in enumerate(rows) if c.spec.on_fail == "quarantine"]
    total, counts, moved = _counts(rows, quarantine, frame, run)
    valid, quarantined = frame, None
    if moved:
        valid, quarantined = split(frame, rows, counts, quarantine, run)
    by_check = {id(c): n for c, n in zip(rows, counts, strict=True)}
    outcomes = tuple(outcome(c, by_check.get(id(c), 0), total) for c in checks)
    return ValidationOutcome(tests=outcomes, valid=valid, quarantined=quarantined, quarantined_rows=moved)
