"""Odibi's quality gate (``validation.gate``), judged from the counts of the validation scan.

Pass rate: the rows left after quarantine that pass every row-level test, over the rows left (Odibi's
"rows passing all tests"; quarantined rows are already set aside, as Odibi's flow describes). A per-test
threshold (``test``: a test's name or type) compares that test's passing share of all validated rows.
``row_count`` bounds the batch and, with ``change_threshold``, its change against the previous successful
run. The verdict is a :class:`~odibi_provider.engines.base.TestOutcome` named ``gate`` (``on_fail`` is the
gate's action) plus the details the ``gate_blocked`` event carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..engines.base import Engine, TestOutcome, ValidationOutcome
from ..engines.sql.validation import ROW_TESTS, TABLE_TESTS
from ..errors import ExecutionError
from ..plan.model import GateSpec, TestSpec


class GateBlocked(ExecutionError):
    """The quality gate (``on_fail: abort``) stopped the node before anything was written. Never retried."""

    def __init__(self, node: str, reasons: str) -> None:
        super().__init__(f"quality gate blocked the node: {reasons}; nothing was written. Fix the data, "
                         "or relax validation.gate (require_pass_rate, thresholds) or set its on_fail to "
                         "warn_and_write or write_valid_only", node=node, retryable=False)


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """The gate's outcome (a story row / asset check) and its details (pass rate, thresholds, reasons)."""

    outcome: TestOutcome
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        """The gate failed and its action is ``abort``: the node stops and writes nothing."""
        return not self.outcome.passed and self.outcome.on_fail == "abort"


def evaluate_gate(gate: GateSpec, validation: ValidationOutcome, previous_rows: int | None) -> GateVerdict:
    """Judge ``gate`` on the node's validation; ``previous_rows``: the last successful run's row count."""
    total = validation.rows
    remaining = total - validation.quarantined_rows
    failing = validation.failing_rows or 0
    passing = max(total - failing, 0)
    pass_rate = passing / remaining if remaining else 1.0
    reasons = []
    if pass_rate < gate.require_pass_rate:
        reasons.append(f"pass rate {pass_rate:.1%} ({passing} of {remaining} rows) is below the required "
                       f"{gate.require_pass_rate:.1%}")
    rates: dict[str, float] = {}
    for test, minimum in gate.thresholds:
        matched = [t for t in validation.tests if test in (t.name, t.type) and t.type not in TABLE_TESTS]
        if not matched:
            reasons.append(f"threshold for test '{test}': no row-level test has that name or type")
            continue
        rate = 1 - max(t.failed_rows for t in matched) / total if total else 1.0
        rates[test] = rate
        if rate < minimum:
            reasons.append(f"test '{test}' pass rate {rate:.1%} is below the required {minimum:.1%}")
    reasons += _row_count(gate, total, previous_rows)
    details = {"pass_rate": round(pass_rate, 6), "require_pass_rate": gate.require_pass_rate,
               "rows": total, "rows_checked": remaining, "rows_passing": passing,
               "thresholds": {test: minimum for test, minimum in gate.thresholds}, "test_pass_rates": rates,
               "previous_rows": previous_rows, "action": gate.on_fail, "reasons": reasons}
    message = "; ".join(reasons) if reasons else (f"pass rate {pass_rate:.1%} meets the required "
                                                  f"{gate.require_pass_rate:.1%}")
    outcome = TestOutcome("gate", "gate", gate.on_fail, not reasons, remaining - passing, message)
    return GateVerdict(outcome, details)


def _row_count(gate: GateSpec, total: int, previous: int | None) -> Sequence[str]:
    if gate.row_min is not None and total < gate.row_min:
        return [f"row count {total} is below the minimum {gate.row_min}"]
    if gate.row_max is not None and total > gate.row_max:
        return [f"row count {total} is above the maximum {gate.row_max}"]
    if gate.change_threshold is not None and previous:
        change = abs(total - previous) / previous
        if change > gate.change_threshold:
            return [f"row count changed {change:.1%} against the previous run ({previous} rows), more than "
                    f"the allowed {gate.change_threshold:.1%}"]
    return []


def only_valid(engine: Engine, frame: Any, tests: Sequence[TestSpec]) -> Any:
    """``write_valid_only``: the rows of ``frame`` (as validated) that pass every row-level test (one more
    scan); rows the quarantine took are among those left out."""
    strict = [replace(t, on_fail="quarantine") for t in tests if t.type in ROW_TESTS]
    return engine.validate(frame, strict).valid if strict else frame
