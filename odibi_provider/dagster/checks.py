"""Validation tests, contracts and the quality gate as asset checks: specs from the Plan, results from the
node's outcomes. ``fail`` tests and contracts and an ``abort`` gate are blocking; none is retried."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from ..engines.base import TestOutcome
from ..plan.model import Plan, PlanNode
from . import names
from ._dg import dg
from .translator import OdibiDagsterTranslator

if TYPE_CHECKING:
    from ..runner.results import NodeResult

GATE = "odibi:gate"  # the gate's key among a node's outcomes
CONTRACT = "contract:"  # prefix of a contract's key


def build_check_specs(node: PlanNode, plan: Plan,
                      translator: OdibiDagsterTranslator) -> tuple[tuple[dg.AssetCheckSpec, str], ...]:
    """One check per test and per contract, and one for the gate: ``(spec, outcome key)``; check names are
    Dagster-safe and unique per asset (contracts are ``contract_<name>``, the gate ``quality_gate``)."""
    tests = [*node.tests, *(replace(c, name=CONTRACT + c.name) for c in node.contracts)]
    wanted = [names.safe_name(t.name.replace(CONTRACT, "contract_", 1)) for t in tests]
    gate = node.validation.gate
    check_names = names.unique([*wanted, *(["quality_gate"] if gate else [])])
    specs = [(translator.get_check_spec(node, test, name, plan), test.name)
             for test, name in zip(tests, check_names, strict=False)]
    if gate is not None:
        rules = {"require_pass_rate": gate.require_pass_rate, "thresholds": dict(gate.thresholds),
                 "row_min": gate.row_min, "row_max": gate.row_max, "change_threshold": gate.change_threshold}
        specs.append((dg.AssetCheckSpec(
            check_names[-1], asset=translator.get_asset_key(node, plan), blocking=gate.on_fail == "abort",
            description=f"quality gate (on_fail: {gate.on_fail}) {json.dumps(rules, sort_keys=True)}",
            metadata={"odibi/test": GATE, "odibi/type": "gate", "odibi/on_fail": gate.on_fail}), GATE))
    return tuple(specs)


def node_check_results(checks: Sequence[tuple[dg.AssetCheckSpec, str]],
                       result: NodeResult) -> list[dg.AssetCheckResult]:
    """The check results of a node run: its contracts, tests and gate (none when nothing was checked)."""
    outcomes = [*(replace(c, name=CONTRACT + c.name) for c in result.contracts), *result.tests,
                *([replace(result.gate, name=GATE)] if result.gate else [])]
    return check_results(checks, outcomes) if (result.ok or outcomes) else []


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
    severity = dg.AssetCheckSeverity.ERROR if outcome.on_fail in ("fail", "abort") else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=outcome.passed,
                               severity=severity, metadata=metadata, description=outcome.message or None)
