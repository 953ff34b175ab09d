"""Turning a validation test's failing-row count into a TestOutcome, the same way on every engine."""

from __future__ import annotations

from ..plan.model import TestSpec
from .base import TestOutcome


def test_outcome(spec: TestSpec, *, subject: str, sql: str | None, failed: int, total: int,
                 table_level: bool = False) -> TestOutcome:
    """The outcome of ``spec``: ``failed`` rows broke it (``row_count`` tests judge ``total`` instead)."""
    if table_level:
        passed, message = _row_count(spec, total)
        return TestOutcome(spec.name, spec.type, spec.on_fail, passed, 0, message, sql)
    rows = "1 row has" if failed == 1 else f"{failed} rows have"
    message = f"{rows} {subject}" if failed else f"no rows have {subject}"
    return TestOutcome(spec.name, spec.type, spec.on_fail, failed == 0, failed, message, sql)


def _row_count(spec: TestSpec, total: int) -> tuple[bool, str]:
    low, high = spec.args.get("min"), spec.args.get("max")
    if low is not None and total < low:
        return False, f"row count {total} is below the minimum {low}"
    if high is not None and total > high:
        return False, f"row count {total} is above the maximum {high}"
    return True, f"row count {total} is within [{0 if low is None else low}, {'inf' if high is None else high}]"
