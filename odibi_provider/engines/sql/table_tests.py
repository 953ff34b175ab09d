"""Table-level validation tests as SQL aggregates plus a judge that reads them back: ``row_count``,
``freshness`` (the newest timestamp against the logical time ``as_of``), ``volume_drop`` (the row count
against ``average``, the mean of recent successful runs; both args are put in by the runner), ``schema``
(judged from the schema while compiling) and ``distribution`` (mean/min/max/null share of a column). The
aggregates run in the suite's one counting scan (:mod:`odibi_provider.engines.sql.validation`)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ...plan.frozen import thaw
from .dialect import Dialect, type_family
from .test_args import TestArgs

Judge = Callable[[int, int, Sequence[Any]], tuple[bool, str]]  # (failed rows, rows, aggregates) -> verdict


Table = tuple[tuple[str, ...], Judge]  # aggregates, judge


def _row_count(d: Dialect, t: TestArgs) -> Table:
    low, high = t.bounds()

    def judge(_: int, total: int, __: Sequence[Any]) -> tuple[bool, str]:
        if low is not None and total < low:
            return False, f"row count {total} is below the minimum {low}"
        if high is not None and total > high:
            return False, f"row count {total} is above the maximum {high}"
        return True, f"row count {total} is within [{0 if low is None else low}, {'inf' if high is None else high}]"
    return (), judge


_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def _freshness(d: Dialect, t: TestArgs) -> Table:
    col = t.column(t.spec.args.get("column", "updated_at"))
    max_age = str(t.arg("max_age", str, "a duration such as '24h'")).strip()
    if not (found := re.fullmatch(r"(\d+)\s*([mhd])", max_age)):
        raise t.fail(f"'max_age' must be a number of minutes, hours or days ('30m', '24h', '7d'), got {max_age!r}")
    as_of = _as_of(t)
    cutoff = (as_of - timedelta(**{_AGE_UNITS[found[2]]: int(found[1])})).strftime("%Y-%m-%d %H:%M:%S.%f")
    stamp = f"CAST({d.ident(col)} AS TIMESTAMP)"
    aggregates = (d.count_if(f"{stamp} >= CAST({d.string(cutoff)} AS TIMESTAMP)"), f"count({stamp})",
                  d.as_text(f"max({stamp})"))

    def judge(_: int, total: int, values: Sequence[Any]) -> tuple[bool, str]:
        fresh, stamped, newest = int(values[0] or 0), int(values[1] or 0), values[2]
        when = f"{max_age} before {as_of:%Y-%m-%d %H:%M:%S} UTC"
        if not total:
            return True, f"no rows to check for freshness of {col}"
        if not stamped:
            return False, f"{col} has no timestamps: the data's age is unknown (limit {when})"
        verdict = "is within" if fresh else "is older than"
        return bool(fresh), f"the newest {col} ({newest}) {verdict} {when}"
    return aggregates, judge


def _as_of(t: TestArgs) -> datetime:
    """The run's logical time (``as_of``, set by the runner), as naive UTC; now when absent."""
    value = t.spec.args.get("as_of")
    when = datetime.fromisoformat(value) if isinstance(value, str) else datetime.now(UTC)
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _volume_drop(d: Dialect, t: TestArgs) -> Table:
    threshold = float(t.spec.args.get("threshold", 0.5))
    days = t.spec.args.get("lookback_days", 7)
    average = t.spec.args.get("average")

    def judge(_: int, total: int, __: Sequence[Any]) -> tuple[bool, str]:
        if not average:
            return True, f"no successful run in the last {days} day(s) to compare the row count {total} with"
        drop = (float(average) - total) / float(average)
        verdict = "more than" if drop > threshold else "within"
        return drop <= threshold, (f"row count {total} is {max(drop, 0):.1%} below the {days}-day average "
                                   f"{float(average):g} ({verdict} the allowed {threshold:.0%} drop)")
    return (), judge


def _schema(d: Dialect, t: TestArgs) -> Table:
    expected = thaw(t.spec.args.get("columns"))
    strict = bool(t.spec.args.get("strict", True))
    passed, message = True, "no expected columns declared (give the test 'columns')"
    if expected:
        passed, message = _schema_verdict(t.schema, expected, strict)
    return (), lambda _, __, ___: (passed, message)


def _schema_verdict(schema: Mapping[str, str], expected: Any, strict: bool) -> tuple[bool, str]:
    """Missing columns, changed type families and (strict) extra columns, case-insensitively."""
    have = {c.lower(): (c, t) for c, t in schema.items()}
    wanted = dict(expected) if isinstance(expected, Mapping) else dict.fromkeys(expected)
    problems = [f"missing {n}" for n in wanted if n.lower() not in have]
    problems += [f"{n} is {have[n.lower()][1]}, expected {kind}" for n, kind in wanted.items()
                 if kind and n.lower() in have and type_family(have[n.lower()][1]) != type_family(kind)]
    if strict:
        names = {n.lower() for n in wanted}
        problems += [f"unexpected {c}" for c, _ in have.values() if c.lower() not in names]
    mode = "strict" if strict else "subset"
    return not problems, (f"schema ({mode}) differs: {'; '.join(problems)}" if problems
                          else f"schema ({mode}) matches {len(wanted)} expected column(s)")


_METRICS = {"mean": "avg", "min": "min", "max": "max"}
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt}


def _distribution(d: Dialect, t: TestArgs) -> Table:
    col = t.column()
    metric = t.arg("metric", str, "one of mean, min, max, null_percentage")
    if metric not in (*_METRICS, "null_percentage"):
        raise t.fail(f"'metric' must be one of mean, min, max, null_percentage, got {metric!r}")
    text = str(t.arg("threshold", str, "a comparison such as '>100'")).strip()
    if not (found := re.fullmatch(r"(>=|<=|==|!=|>|<)\s*(-?[0-9.]+(?:e-?[0-9]+)?)", text)):
        raise t.fail(f"'threshold' must be a comparison such as '>100' or '<=0.05', got {text!r}")
    op, bound = found[1], float(found[2])
    value = (d.count_if(f"{d.ident(col)} IS NULL") if metric == "null_percentage"
             else f"{_METRICS[metric]}(CAST({d.ident(col)} AS DOUBLE))")

    def judge(_: int, total: int, values: Sequence[Any]) -> tuple[bool, str]:
        raw = values[0]
        if metric == "null_percentage":
            raw = int(raw or 0) / total if total else 0.0
        if raw is None:
            return False, f"{metric} of {col} is undefined (no values), expected {op}{found[2]}"
        ok = _OPERATORS[op](float(raw), bound)
        return ok, f"{metric} of {col} is {float(raw):g}, {'as' if ok else 'not as'} expected {op}{found[2]}"
    return (value,), judge


TABLE_COMPILERS: dict[str, Callable[[Dialect, TestArgs], Table]] = {
    "row_count": _row_count, "freshness": _freshness, "volume_drop": _volume_drop, "schema": _schema,
    "distribution": _distribution,
}
