"""Validation tests as SQL, in any dialect: each row-level test is a flag that is true where a row fails.

A :class:`Suite` compiles a node's tests over the data's schema (column -> type name) and writes the
queries an engine runs: one that counts the failing rows of every test (one scan), the flags alone
(row-aligned, for engines that split by filtering the original rows), and one that puts the flags and
the names of the failed tests next to the rows. Table-level checks (:mod:`.table_tests`) fail as a whole
and flag no rows; their aggregates are computed by the same counting scan. ``custom_sql`` passes while its
failing share is at most ``threshold``.

Semantics: nulls pass every test except ``not_null`` (``custom_sql`` rows where the condition is null
fail); ``unique`` compares keys with nulls equal, as pandas ``duplicated`` does; ``accepted_values``
compares values as the column's type (a value that cannot be one never matches, so the rows fail rather
than the query); ``regex_match`` matches anywhere in the value cast to text (anchor with ``^...$``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.model import TestSpec
from ..base import TestOutcome
from .dialect import Dialect, type_family
from .table_tests import TABLE_COMPILERS, Judge
from .test_args import TestArgs

FAILED_COLUMN = "_odibi_failed_tests"
QUARANTINE_FLAG = "__odibi_quarantine"
ROW_TESTS = ("not_null", "unique", "accepted_values", "range", "regex_match", "custom_sql")
TABLE_TESTS = ("row_count", "freshness", "volume_drop", "schema", "distribution")
TEST_TYPES = (*ROW_TESTS, *TABLE_TESTS)
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
    aggregates: tuple[str, ...] = ()  # table-level: SQL aggregates over df computed by the counting scan
    judge: Judge | None = None  # the verdict when it is not "no failing rows"


def compile_check(dialect: Dialect, spec: TestSpec, schema: Mapping[str, str]) -> Check:
    """The flag SQL and message subject of one test over data with ``schema`` (column -> type name)."""
    if (table := TABLE_COMPILERS.get(spec.type)) is not None:
        aggregates, judge = table(dialect, TestArgs(spec, schema))
        listing = f"SELECT {', '.join(aggregates)} FROM df" if aggregates else "SELECT count(*) FROM df"
        return Check(spec, None, "", listing, aggregates=aggregates, judge=judge)
    compiler = _COMPILERS.get(spec.type)
    if compiler is None:
        hint = did_you_mean(spec.type, TEST_TYPES) or f"test types: {known(TEST_TYPES)}"
        raise ExecutionError(f"validation test '{spec.name}': unknown type '{spec.type}'; {hint}")
    flag, subject, window, ordered = compiler(dialect, TestArgs(spec, schema))
    sql = dialect.qualify("df", list(schema), flag) if window else f"SELECT * FROM df WHERE {flag}"
    share = _share_judge(subject, float(spec.args.get("threshold") or 0)) if spec.type == "custom_sql" else None
    return Check(spec, flag, subject, sql, window, ordered, judge=share)


Compiled = tuple[str, str, bool, bool]  # flag, subject, window, ordered


def _not_null(d: Dialect, t: TestArgs) -> Compiled:
    cols = t.columns()
    return "(" + " OR ".join(f"{d.ident(c)} IS NULL" for c in cols) + ")", f"nulls in {', '.join(cols)}", False, True


def _unique(d: Dialect, t: TestArgs) -> Compiled:
    cols = t.columns()
    shown = ", ".join(cols) if len(cols) == 1 else f"({', '.join(cols)})"
    return f"(count(*) OVER (PARTITION BY {', '.join(map(d.ident, cols))}) > 1)", f"a duplicate {shown}", True, False


def _accepted_values(d: Dialect, t: TestArgs) -> Compiled:
    col = t.column()
    values = [v for v in t.arg("values", (list, tuple), "a list of values") if v is not None]
    member = d.in_values(d.ident(col), t.schema[col], values)
    allowed = f" AND NOT coalesce({member}, false)" if member else ""
    shown = ", ".join(map(str, values)) or "(none)"
    return f"({d.ident(col)} IS NOT NULL{allowed})", f"{col} outside the accepted values {shown}", False, True


def _range(d: Dialect, t: TestArgs) -> Compiled:
    col = t.column()
    family = type_family(t.schema[col])
    low, high = t.bounds(text=family in ("date", "timestamp", "text"))

    def bound(value: Any) -> str:  # text (a date, a timestamp) is read as the column's type, as Odibi compares it
        if not isinstance(value, str):
            return d.literal(value)
        if family != "text" and not _is_datetime(value):
            raise t.fail(f"bound {value!r} is not a date or timestamp (YYYY-MM-DD[ HH:MM:SS]) for {col}")
        return d.typed(value, t.schema[col])
    parts = [f"{d.ident(col)} < {bound(low)}"] if low is not None else []
    parts += [f"{d.ident(col)} > {bound(high)}"] if high is not None else []
    flag = f"coalesce(({' OR '.join(parts)}), false)" if parts else "false"
    lo, hi = "-inf" if low is None else low, "inf" if high is None else high
    return flag, f"{col} outside [{lo}, {hi}]", False, True


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _regex_match(d: Dialect, t: TestArgs) -> Compiled:
    col = t.column()
    pattern = t.arg("pattern", str, "a regular expression")
    flag = f"coalesce(NOT ({d.regex_match(d.as_text(d.ident(col)), d.string(pattern))}), false)"
    return flag, f"{col} not matching {pattern!r}", False, True


def _custom_sql(d: Dialect, t: TestArgs) -> Compiled:
    condition = t.arg("condition", str, "a SQL condition")
    window = bool(re.search(r"\bover\b", condition, re.IGNORECASE))
    subquery = bool(re.search(r"\bselect\b", condition, re.IGNORECASE))
    return (f"(NOT coalesce(({condition}), false))", f"the condition `{condition}` false or null", window,
            not (window or subquery))


_COMPILERS: dict[str, Callable[[Dialect, TestArgs], Compiled]] = {
    "not_null": _not_null, "unique": _unique, "accepted_values": _accepted_values, "range": _range,
    "regex_match": _regex_match, "custom_sql": _custom_sql,
}


def _rows_message(failed: int, subject: str) -> str:
    rows = "1 row has" if failed == 1 else f"{failed} rows have"
    return f"{rows} {subject}" if failed else f"no rows have {subject}"


def _share_judge(subject: str, threshold: float) -> Judge:
    """custom_sql: passes while the failing rows are at most ``threshold`` of all rows (Odibi's rule)."""
    def judge(failed: int, total: int, _: Sequence[Any]) -> tuple[bool, str]:
        share = failed / total if total else 0.0
        limit = f" ({share:.1%} of rows; allowed {threshold:.1%})" if threshold and failed else ""
        return share <= threshold if threshold else failed == 0, _rows_message(failed, subject) + limit
    return judge

def outcome(check: Check, failed: int, total: int, aggregates: Sequence[Any] = ()) -> TestOutcome:
    """The TestOutcome of ``check`` given its failing-row count, the frame's ``total`` and (table-level
    checks) the values of its aggregates."""
    spec = check.spec
    if check.judge is not None:
        passed, message = check.judge(failed, total, aggregates)
    else:
        passed, message = failed == 0, _rows_message(failed, check.subject)
    return TestOutcome(spec.name, spec.type, spec.on_fail, passed, failed, message, check.sql)


@dataclass(frozen=True)
class Scan:
    """What the counting scan found: rows, failing rows per row-level check, rows to quarantine, rows failing
    any row-level check (counted for a gate, else None) and each table-level check's aggregate values."""

    total: int
    counts: list[int]
    moved: int
    failing: int | None
    aggregates: list[Any]


@dataclass(frozen=True)
class Suite:
    """A node's compiled tests and the queries that run them over ``df``; ``gated`` also counts the rows
    failing any row-level check (a quality gate's pass rate)."""

    dialect: Dialect
    checks: tuple[Check, ...]
    gated: bool = False

    @classmethod
    def compile(cls, dialect: Dialect, tests: Sequence[TestSpec], schema: Mapping[str, str], *,
                gated: bool = False) -> Suite:
        return cls(dialect, tuple(compile_check(dialect, t, schema) for t in tests), gated)

    @property
    def aggregates(self) -> list[str]:
        """The table-level checks' aggregates, in order."""
        return [a for c in self.checks for a in c.aggregates]

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
        """The flags line up with the rows and nothing but flags needs scanning."""
        return all(c.ordered for c in self.rows) and not self.aggregates

    def flag(self, i: int) -> str:
        return self.dialect.ident(f"__odibi_{i}")

    def flags(self) -> str:
        return ", ".join(f"{c.flag} AS {self.flag(i)}" for i, c in enumerate(self.rows))

    def flags_query(self) -> str:
        """The flag columns alone, one row per row of ``df``."""
        return f"SELECT {self.flags()} FROM df"

    def count_query(self) -> str:
        """One row: the rows, the failing rows per row-level check, (with quarantine tests) the rows failing
        any of them, (gated) the rows failing any check, then the aggregates; read it with :meth:`scan`."""
        total = f"count(*) AS {self.dialect.ident('__odibi_rows')}"
        counts = [self.dialect.count_if(self.flag(i)) for i in range(len(self.rows))]
        if self.quarantine:
            counts.append(self.dialect.count_if(self._quarantined()))
        if self.gated and self.rows:
            counts.append(self.dialect.count_if(" OR ".join(self.flag(i) for i in range(len(self.rows)))))
        counts += self.aggregates
        named = [f"{n} AS {self.dialect.ident(f'__odibi_n{i}')}" for i, n in enumerate(counts)]
        if not self.rows:
            return f"SELECT {', '.join([total, *named])} FROM df"
        source = f"SELECT *, {self.flags()} FROM df" if self.aggregates else self.flags_query()
        return f"SELECT {total}, {', '.join(named)} FROM ({source}) AS flags"

    def scan(self, row: Sequence[Any]) -> Scan:
        """The :meth:`count_query` row read back."""
        n, values = len(self.rows), list(row)
        ints = [int(v or 0) for v in values[:len(values) - len(self.aggregates)]]
        moved = ints[n + 1] if self.quarantine and n else 0
        failing = ints[-1] if self.gated and n else (0 if self.gated else None)
        return Scan(ints[0], ints[1:n + 1], moved, failing, values[len(values) - len(self.aggregates):])

    def counts(self, row: Sequence[Any]) -> tuple[int, list[int], int]:
        """(rows, failing rows per row-level check, rows to quarantine) from the :meth:`count_query` row."""
        found = self.scan(row)
        return found.total, found.counts, found.moved

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

    def outcomes(self, counts: Sequence[int], total: int, aggregates: Sequence[Any] = ()) -> tuple[TestOutcome, ...]:
        """Every test's outcome, in the order given (``counts`` per row-level check, ``aggregates`` the
        table-level checks' values in order)."""
        by_check = {id(c): n for c, n in zip(self.rows, counts, strict=True)}
        results, start = [], 0
        for check in self.checks:
            values = aggregates[start:start + len(check.aggregates)]
            start += len(check.aggregates)
            results.append(outcome(check, by_check.get(id(check), 0), total, values))
        return tuple(results)

    def keep(self, columns: Sequence[str]) -> list[str]:
        """The data's columns without an earlier validation's failed-tests column."""
        return [c for c in columns if c != FAILED_COLUMN]
