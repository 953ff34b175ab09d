"""Odibi's quarantine extras: metadata columns on quarantined rows, sampling and the per-run row cap, and retention
(rows whose ``_rejected_at`` is older than ``retention_days`` are pruned from the target after a write)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..engines.base import Engine
from ..engines.sql.quarantine import quarantine_query, retention_query
from ..plan.model import PlanNode
from .context import RunContext

log = logging.getLogger("odibi_provider.runner")


def with_metadata(ctx: RunContext, node: PlanNode, engine: Engine, rows: Any) -> Any:
    """``rows`` (a validation split) with the node's ``add_columns``, sampled (``sample_fraction``) and capped
    (``max_rows``)."""
    spec = node.validation
    if not spec.quarantine_columns and not spec.quarantine_max_rows and spec.quarantine_sample_fraction is None:
        return rows
    values = {"_rejected_at": datetime.now(UTC).isoformat(), "_source_batch_id": ctx.run_id,
              "_original_node": node.name}
    columns = [name for name, _ in engine.schema(rows)]
    query = quarantine_query(engine.dialect, columns, spec.quarantine_columns, values, spec.quarantine_max_rows,
                             spec.quarantine_sample_fraction)
    return engine.sql(query, {"df": rows})


def prune(ctx: RunContext, node: PlanNode, engine: Engine) -> int:
    """Drop the target's rows rejected more than ``retention_days`` ago (one overwrite, only when some are);
    the number pruned. Called before an append (a retried append then still finds its own part). A target
    that cannot be read yet has nothing to prune; a failure to prune only logs: the rows stay."""
    days = node.validation.quarantine_retention_days
    if days is None or node.quarantine is None:
        return 0
    cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    target, connection = node.quarantine, ctx.connection(node.quarantine.connection)
    try:
        current = engine.materialize(engine.read(target.as_read(), connection))
    except Exception as exc:  # noqa: BLE001 (no quarantine written yet: nothing to prune)
        log.debug("node %s: no quarantine to prune yet: %s", node.id, exc)
        return 0
    try:
        expired = engine.count(engine.sql(retention_query(engine.dialect, cutoff, expired=True), {"df": current}))
        if expired:
            kept = engine.materialize(engine.sql(retention_query(engine.dialect, cutoff, expired=False),
                                                 {"df": current}))
            engine.write(kept, replace(target, mode="overwrite"), connection,
                         write_id=f"{ctx.write_id(node.id)}:retention")
        return expired
    except Exception as exc:  # noqa: BLE001 (retention is housekeeping: the quarantined rows are safe)
        log.warning("node %s: could not prune the quarantine older than %d days: %s", node.id, days, exc)
        return 0
