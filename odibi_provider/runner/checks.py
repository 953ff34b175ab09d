"""Run Odibi's ``cross_check`` step over the node's inputs (params and pass-through in
``engines/sql/checks.py``): a failed check fails the node with every mismatch listed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._suggest import known
from ..engines.base import Engine
from ..engines.sql import checks
from ..errors import ExecutionError, OdibiError
from ..plan.model import PlanNode
from .context import RunContext


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
