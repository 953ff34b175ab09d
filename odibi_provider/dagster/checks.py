"""Validation tests as asset checks: specs from the Plan, results from the node's test outcomes."""

from __future__ import annotations

from collections.abc import Sequence

from ..engines.base import TestOutcome
from ..plan.model import Plan, PlanNode
from . import names
from ._dg import dg
from .translator import OdibiDagsterTranslator


def build_check_specs(node: PlanNode, plan: Plan,
                      translator: OdibiDagsterTranslator) -> tuple[tuple[dg.AssetCheckSpec, str], ...]:
    """One check per test: ``(spec, test name)``; check names are Dagster-safe and unique per asset."""
    check_names = names.unique([names.safe_name(test.name) for test in node.tests])
    return tuple((translator.get_check_spec(node, test, name, plan), test.name)
                 for test, name in zip(node.tests, check_names, strict=True))


def check_results(checks: Sequence[tuple[dg.AssetCheckSpec, str]],
                  outcomes: Sequence[TestOutcome]) -> list[dg.AssetCheckResult]:
    """A result per check from the outcomes of the same tests (matched by name, in order)."""
    pending: dict[str, list[TestOutcome]] = {}
    for outcome in outcomes:
        pending.setdefault(outcome.name, []).append(outcome)
    results = []
    for spec, test_name in checks:
        queue = pending.get(test_name)
        matched = queue.pop(0) if queue else None
        results.append(_result(spec, matched))
    return results


def _result(spec: dg.AssetCheckSpec, outcome: TestOutcome | None) -> dg.AssetCheckResult:
    if outcome is None:
        return dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=False,
                                   severity=dg.AssetCheckSeverity.WARN,
                                   description="the node reported no outcome for this test")
    metadata: dict[str, int | str | dg.MarkdownMetadataValue] = {
        "failed_rows": outcome.failed_rows, "on_fail": outcome.on_fail, "type": outcome.type}
    if outcome.sql:
        metadata["sql"] = dg.MetadataValue.md(f"```sql\n{outcome.sql}\n```")
    severity = dg.AssetCheckSeverity.ERROR if outcome.on_fail == "fail" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=outcome.passed,
                               severity=severity, metadata=metadata, description=outcome.message or None)
