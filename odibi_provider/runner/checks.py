"""Checks the runner runs beside the steps: Odibi's ``cross_check`` step over the node's inputs (params and
pass-through in ``engines/sql/checks.py``; a failed check fails the node with every mismatch listed), node
``contracts`` on the input before the steps, and the run-time facts validation tests need (logical time,
row-count history)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .._suggest import known
from ..engines.base import Engine, TestOutcome
from ..engines.sql import checks
from ..errors import ExecutionError, OdibiError
from ..plan.frozen import FrozenMap
from ..plan.model import PlanNode, TestSpec
from .context import RunContext
from .state import record_volume, volume_history

log = logging.getLogger("odibi_provider.runner")


def cross_check(_ctx: RunContext, node: PlanNode, engine: Engine, frame: Any, relations: Mapping[str, Any],
                params: dict[str, Any]) -> tuple[Any, str | None]:
    """The node's data unchanged (the first input when it reads nothing) and the SQL of the pass-through."""
    try:
        cfg = checks.settings(params)
    except OdibiError as exc:
        raise ExecutionError(str(exc), node=node.id, retryable=False) from exc
    names = list(cfg["inputs"])
    if missing := [n for n in names if n not in relations]:
        raise ExecutionError(f"cross_check input(s) {', '.join(missing)} are not inputs of this node (inputs: "
                             f"{known(list(relations))}); add them to depends_on", node=node.id, retryable=False)
    base, failures = names[0], []
    if cfg["type"] == "row_count_diff":
        counts = {n: engine.count(relations[n]) for n in names}
        for name in names[1:]:
            diff = abs(counts[name] - counts[base]) / counts[base] if counts[base] else float(counts[name] > 0)
            if diff > cfg["threshold"]:
                failures.append(f"Row count mismatch: {name} ({counts[name]}) vs {base} ({counts[base]}). "
                                f"Diff {diff:.1%} > {cfg['threshold']:.1%}")
    else:
        expected = dict(engine.schema(relations[base]))
        for name in names[1:]:
            if (schema := dict(engine.schema(relations[name]))) != expected:
                failures.append(f"Schema mismatch for input '{name}' (compared to '{base}'): missing or changed "
                                f"{sorted(set(expected.items()) - set(schema.items()))}, extra or changed "
                                f"{sorted(set(schema.items()) - set(expected.items()))}")
    if failures:
        raise ExecutionError(f"cross_check failed: {'; '.join(failures)}", node=node.id, retryable=False)
    return engine.transformer("cross_check", params, relations[base] if frame is None else frame, relations)


# --- validation tests and contracts: the run-time facts some tests need -------------------------------

def needs_volume(node: PlanNode) -> bool:
    """The node keeps a row-count history: a ``volume_drop`` test or a gate ``change_threshold``."""
    gate = node.validation.gate
    return (any(t.type == "volume_drop" for t in (*node.tests, *node.contracts))
            or (gate is not None and gate.change_threshold is not None))


def prepared(ctx: RunContext, node: PlanNode, tests: Sequence[TestSpec]) -> tuple[TestSpec, ...]:
    """``tests`` with what the run knows put into their args: ``as_of`` (the run's logical time:
    ``RunContext.extras["logical_time"]`` or now) for ``freshness``; ``average`` (the mean row count of this
    node's successful runs within ``lookback_days``) for ``volume_drop``."""
    out = []
    for test in tests:
        extra: dict[str, Any] = {}
        if test.type == "freshness":
            extra["as_of"] = logical_time(ctx).isoformat()
        elif test.type == "volume_drop":
            since = logical_time(ctx).timestamp() - 86400 * float(test.args.get("lookback_days", 7))
            counts = [rows for at, rows in volume_history(ctx.system_store, node.id) if at >= since]
            extra["average"] = sum(counts) / len(counts) if counts else None
        out.append(replace(test, args=FrozenMap({**test.args, **extra})) if extra else test)
    return tuple(out)


def remember_volume(ctx: RunContext, node: PlanNode, rows: int | None) -> None:
    """Record this successful run's row count for later ``volume_drop`` tests (a failure only logs)."""
    try:
        record_volume(ctx.system_store, node.id, rows or 0)
    except Exception as exc:  # noqa: BLE001 (history is observability: it never fails the work)
        log.warning("node %s: could not record its row count for volume checks: %s", node.id, exc)


def previous_rows(ctx: RunContext, node: PlanNode) -> int | None:
    """The row count of the node's last recorded successful run (None when there is none)."""
    history = volume_history(ctx.system_store, node.id)
    return history[-1][1] if history else None


def logical_time(ctx: RunContext) -> datetime:
    """The run's logical time (aware, UTC): ``extras["logical_time"]`` (a datetime or ISO text), else
    ``$ODIBI_LOGICAL_TIME`` (ISO text), else now."""
    value = ctx.extras.get("logical_time") or os.environ.get("ODIBI_LOGICAL_TIME")
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class ContractViolation(ExecutionError):
    """A contract on the node's input failed; nothing ran after it and nothing was written. Never retried.
    ``outcomes`` holds every contract's outcome for the record."""

    def __init__(self, message: str, *, node: str, outcomes: tuple[TestOutcome, ...] = ()) -> None:
        super().__init__(message, node=node, retryable=False)
        self.outcomes = outcomes


def check_contracts(ctx: RunContext, node: PlanNode, engine: Engine, frame: Any) -> tuple[Any, tuple[TestOutcome, ...]]:
    """Run the node's contracts on its input ``frame`` before the steps; a failing ``fail`` contract raises
    :class:`ContractViolation` naming it (``warn`` ones are returned for the record). Returns the frame
    (materialized by the scan) and the outcomes."""
    if frame is None:
        raise ContractViolation("the node has contracts but no input data to check them on (contracts are "
                                "checked on the read or the upstream's data before the steps); move them to "
                                "validation.tests", node=node.id)
    outcome = engine.validate(frame, prepared(ctx, node, node.contracts))
    broken = [(i, t) for i, t in enumerate(outcome.tests) if not t.passed and t.on_fail == "fail"]
    if broken:
        listed = "; ".join(f"contracts[{i}] '{t.name}' ({t.type}): {t.message}" for i, t in broken)
        raise ContractViolation(f"the input breaks its contract(s), so nothing ran and nothing was written: "
                                f"{listed}. Fix the upstream data, or set on_fail: warn on the contract to let "
                                "such input through", node=node.id, outcomes=outcome.tests)
    return outcome.valid, outcome.tests
