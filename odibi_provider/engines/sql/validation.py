"""Validation tests as SQL, in any dialect: each row-level test is a flag that is true where a row fails.

A :class:`Suite` compiles a node's tests over the data's schema (column -> type name) and writes the
queries an engine runs: one that counts the failing rows of every test (one scan), the flags alone
(row-aligned, for engines that split by filtering the original rows), and one that puts the flags and
the names of the failed tests next to the rows. ``row_count`` is a table-level check on the frame's
length: it fails as a whole and flags no rows.

Semantics: nulls pass every test except ``not_null`` (``custom_sql`` rows where the condition is null
fail); ``unique`` compares keys with nulls equal, as pandas ``duplicated`` does; ``accepted_values``
compares values as the column's type (a value that cannot be one never matches, so the rows fail rather
than the query); ``regex_match`` matches anywhere in the value cast to text (anchor with ``^...$``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.frozen import thaw
from ...plan.model import TestSpec
from ..base import TestOutcome
from ..params import unknown
from .dialect import Dialect

FAILED_COLUMN = "_odibi_failed_tests"
QUARANTINE_FLAG = "__odibi_quarantine"
ROW_TESTS = ("not_null", "unique", "accepted_values", "range", "regex_match", "custom_sql")
TEST_TYPES = (*ROW_TESTS, "row_count")
T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """A compiled test: ``flag`` is SQL that is true for a failing row (None for a table-level test)."""

    spec: TestSpec
    flag: str | None
    subject: str  # what a failing row has: "nulls in order_id"
    sql: str  # a query listing the failing rows of ``df`` (row_count: counting them)
    window: bool = False  # the flag holds a window function
    ordered: bool = True  # the flag query keeps the input's row order (no window, no subquery)


class _Test:
    """One test's spec and the data's schema while it compiles; errors name the test."""

    def __init__(self, spec: TestSpec, schema: Mapping[str, str]) -> None:
        self.spec, self.schema = spec, schema

    def fail(self, problem: str) -> ExecutionError:
        return ExecutionError(f"validation test '{self.spec.name}' ({self.spec.type}): {problem}")

    def arg(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        if not isinstance(value := thaw(self.spec.args.get(key)), kind):
            raise self.fail(f"'{key}' must be {expected}, got {value!r}")
        return value

    def column(self, name: Any = None) -> str:
        name = self.arg("column", str, "a column name") if name is None else name
        exact = {c.lower(): c for c in self.schema}
        if not isinstance(name, str) or name.lower() not in exact:
            raise self.fail(unknown("column", str(name), list(self.schema), "columns of the data"))
        return exact[name.lower()]

    def columns(self) -> list[str]:
        names = self.spec.args.get("columns")
        names = [names] if isinstance(names, str) else self.arg("columns", (list, tuple), "a list of column names")
        if not names:
            raise self.fail("'columns' must name a column")
        return [self.column(n) for n in names]

    def bounds(self) -> tuple[Any, Any]:
        low, high = self.spec.args.get("min"), self.spec.args.get("max")
        for key, value in (("min", low), ("max", high)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise self.fail(f"'{key}' must be a number, got {value!r}")
        return low, high


def compile_check(dialect: Dialect, spec: TestSpec, schema: Mapping[str, str]) -> Check:
    """The flag SQL and message subject of one test over data with ``schema`` (column -> type name)."""
    compiler = _COMPILERS.get(spec.type)
    if compiler is None:
        hint = did_you_mean(spec.type, TEST_TYPES) or f"test types: {known(TEST_TYPES)}"
        raise ExecutionError(f"validation test '{spec.name}': unknown type '{spec.type}'; {hint}")
    flag, subject, window, ordered = compiler(dialect, _Test(spec, schema))
    if flag is None:
        return Check(spec, None, subject, "SELECT count(*) FROM df")
    sql = dialect.qualify("df", list(schema), flag) if window else f"SELECT * FROM df WHERE {flag}"
    return Check(spec, flag, subject, sql, window, ordered)


Compiled = tuple[str | None, str, bool, bool]  # flag, subject, window, ordered


def _not_null(d: Dialect, t: _Test) -> Compiled:
    cols = t.columns()
    return "(" + " OR ".join(f"{d.ident(c)} IS NULL" for c in cols) + ")", f"nulls in {', '.join(cols)}", False, True


def _unique(d: Dialect, t: _Test) -> Compiled:
    cols = t.columns()
    shown = ", ".join(cols) if len(cols) == 1 else f"({', '.join(cols)})"
    return f"(count(*) OVER (PARTITION BY {', '.join(map(d.ident, cols))}) > 1)", f"a duplicate {shown}", True, False


def _accepted_values(d: Dialect, t: _Test) -> Compiled:
    col = t.column()
    values = [v for v in t.arg("values", (list, tuple), "a list of values") if v is not None]
    member = d.in_values(d.ident(col), t.schema[col], values)
    allowed = f" AND NOT coalesce({member}, false)" if member else ""
    shown = ", ".join(map(str, values)) or "(none)"
    return f"({d.ident(col)} IS NOT NULL{allowed})", f"{col} outside the accepted values {shown}", False, True


def _range(d: Dialect, t: _Test) -> Compiled:
    col = t.column()
    low, high = t.bounds()
    parts = [f"{d.ident(col)} < {d.literal(low)}"] if low is not None else []
    parts += [f"{d.ident(col)} > {d.literal(high)}"] if high is not None else []
    flag = f"coalesce(({' OR '.join(parts)}), false)" if parts else "false"
    lo, hi = "-inf" if low is None else low, "inf" if high is None else high
    return flag, f"{col} outside [{lo}, {hi}]", False, True


def _regex_match(d: Dialect, t: _Test) -> Compiled:
    col = t.column()
    pattern = t.arg("pattern", str, "a regular expression")
    flag = f"coalesce(NOT ({d.regex_match(d.as_text(d.ident(col)), d.string(pattern))}), false)"
    return flag, f"{col} not matching {pattern!r}", False, True


def _custom_sql(d: Dialect, t: _Test) -> Compiled:
    condition = t.arg("condition", str, "a SQL condition")
    window = bool(re.search(r"\bover\b", condition, re.IGNORECASE))
    subquery = bool(re.search(r"\bselect\b", condition, re.IGNORECASE))
    return (f"(NOT coalesce(({condition}), false))", f"the condition `{condition}` false or null", window,
            not (window or subquery))


def _row_count(d: Dialect, t: _Test) -> Compiled:
    t.bounds()
    return None, "", False, True


_COMPILERS: dict[str, Callable[[Dialect, _Test], Compiled]] = {
    "not_null": _not_null, "unique": _unique, "accepted_values": _accepted_values, "range": _range,
    "regex_match": _regex_match, "custom_sql": _custom_sql, "row_count": _row_count,
}


def outcome(check: Check, failed: int, total: int) -> TestOutcome:
    """The TestOutcome of ``check`` given its failing-row count (row_count: the frame's ``total``)."""
    spec = check.spec
    if check.flag is None:
        passed, message = _row_count_message(spec, total)
        return TestOutcome(spec.name, spec.type, spec.on_fail, passed, 0, message, check.sql)
    rows = "1 row has" if failed == 1 else f"{failed} rows have"
    message = f"{rows} {check.subject}" if failed else f"no rows have {check.subject}"
    return TestOutcome(spec.name, spec.type, spec.on_fail, failed == 0, failed, message, check.sql)


def _row_count_message(spec: TestSpec, total: int) -> tuple[bool, str]:
    low, high = spec.args.get("min"), spec.args.get("max")
    if low is not None and total < low:
        return False, f"row count {total} is below the minimum {low}"
    if high is not None and total > high:
        return False, f"row count {total} is above the maximum {high}"
    return True, f"row count {total} is within [{0 if low is None else low}, {'inf' if high is None else high}]"


@dataclass(frozen=True)
class Suite:
    """A node's compiled tests and the queries that run them over ``df``."""

    dialect: Dialect
    checks: tuple[Check, ...]

    @classmethod
    def compile(cls, dialect: Dialect, tests: Sequence[TestSpec], schema: Mapping[str, str]) -> Suite:
        return cls(dialect, tuple(compile_check(dialect, t, schema) for t in tests))

    @property
    def rows(self) -> tuple[Check, ...]:
        """The row-level checks (the ones with a flag), in order; flag ``i`` belongs to ``rows[i]``."""
        return tuple(c for c in self.checks if c.flag is not None)

    @property
    def quarantine(self) -> list[int]:
        """Indexes into :attr:`rows` of the ``quarantine`` tests."""
        return [i for i, c in enumerate(self.rows) if c.spec.on_fail == "quarantine"]

    @property
    def ordered(self) -> bool:
        return all(c.ordered for c in self.rows)

    def flag(self, i: int) -> str:
        return self.dialect.ident(f"__odibi_{i}")

    def flags(self) -> str:
        return ", ".join(f"{c.flag} AS {self.flag(i)}" for i, c in enumerate(self.rows))

    def flags_query(self) -> str:
        """The flag columns alone, one row per row of ``df``."""
        return f"SELECT {self.flags()} FROM df"

    def count_query(self) -> str:
        """One row: the rows, the failing rows per row-level check, and (with quarantine tests) the rows
        failing any of them; read it with :meth:`counts`."""
        total = f"count(*) AS {self.dialect.ident('__odibi_rows')}"
        if not self.rows:
            return f"SELECT {total} FROM df"
        counts = [self.dialect.count_if(self.flag(i)) for i in range(len(self.rows))]
        if self.quarantine:
            counts.append(self.dialect.count_if(self._quarantined()))
        named = [f"{n} AS {self.dialect.ident(f'__odibi_n{i}')}" for i, n in enumerate(counts)]
        return f"SELECT {total}, {', '.join(named)} FROM ({self.flags_query()}) AS flags"

    def counts(self, row: Sequence[Any]) -> tuple[int, list[int], int]:
        """(rows, failing rows per row-level check, rows to quarantine) from the :meth:`count_query` row."""
        values = [int(v or 0) for v in row]
        n = len(self.rows)
        return values[0], values[1:n + 1], values[n + 1] if self.quarantine and n else 0

    def failed_names(self, counts: Sequence[int]) -> str:
        """SQL for the comma-separated names of the checks a row failed (over the flag columns)."""
        names = ", ".join(f"CASE WHEN {self.flag(i)} THEN {self.dialect.string(c.spec.name)} END"
                          for i, c in enumerate(self.rows) if counts[i])
        return f"concat_ws(', ', {names})"

    def split_query(self, keep: Sequence[str], counts: Sequence[int]) -> str:
        """The ``keep`` columns of ``df``, a quarantine flag and the failed tests' names."""
        q = self.dialect.ident
        return (f"SELECT {', '.join(map(q, keep))}, ({self._quarantined()}) AS {q(QUARANTINE_FLAG)}, "
                f"{self.failed_names(counts)} AS {q(FAILED_COLUMN)} FROM (SELECT *, {self.flags()} FROM df) AS flagged")

    def side_query(self, keep: Sequence[str], *, quarantined: bool) -> str:
        """The valid (or quarantined) rows of a :meth:`split_query` result bound as ``df``."""
        q = self.dialect.ident
        cols = [*map(q, keep), q(FAILED_COLUMN)] if quarantined else list(map(q, keep))
        return f"SELECT {', '.join(cols)} FROM df WHERE {'' if quarantined else 'NOT '}{q(QUARANTINE_FLAG)}"

    def _quarantined(self) -> str:
        return " OR ".join(self.flag(i) for i in self.quarantine)

    def run(self, query: str, run: Callable[[str], T]) -> T:
        """``run(query)``; when it fails, the error names the test whose SQL broke it."""
        try:
            return run(query)
        except ExecutionError as exc:
            raise self._locate(run, exc) from exc

    def _locate(self, run: Callable[[str], Any], error: ExecutionError) -> ExecutionError:
        for check in self.rows:  # binding errors show up with LIMIT 0
            try:
                run(f"SELECT {check.flag} FROM df LIMIT 0")
            except ExecutionError as exc:
                return ExecutionError(f"validation test '{check.spec.name}' ({check.spec.type}) could not run: "
                                      f"{exc}")
        return ExecutionError(f"validation failed to run: {error}")

    def outcomes(self, counts: Sequence[int], total: int) -> tuple[TestOutcome, ...]:
        """Every test's outcome, in the order given (``counts`` per row-level check)."""
        by_check = {id(c): n for c, n in zip(self.rows, counts, strict=True)}
        return tuple(outcome(c, by_check.get(id(c), 0), total) for c in self.checks)

    def keep(self, columns: Sequence[str]) -> list[str]:
        """The data's columns without an earlier validation's failed-tests column."""
        return [c for c in columns if c != FAILED_COLUMN]
