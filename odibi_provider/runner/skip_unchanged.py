"""Odibi's ``write.skip_if_unchanged``: no write when the output equals what the node last wrote.

The fingerprint is the node's content hash (its config, SQL and functions) plus an order-independent digest of
the output computed by the engine in one scan (row count, XOR and a bounded sum of a 64-bit hash of each row,
over ``skip_hash_columns`` or every column but the ``add_metadata`` ones). It is kept in the system store per
node, written after each successful write, so the decision holds across runs and hosts. A target that is gone
is always written.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from ..engines.base import Engine, WriteOutcome
from ..plan.model import PlanNode
from .context import RunContext

SKIPPED_UNCHANGED = "unchanged"  # WriteOutcome.details["skipped"] when the content was the same


def fingerprint(engine: Engine, node: PlanNode, frame: Any) -> str:
    """The digest that decides whether ``frame`` is the same output as the node's last write."""
    assert node.write is not None and node.write.skip_unchanged is not None
    dialect = engine.dialect
    added = set(node.write.add_metadata)  # _extracted_at & co. differ on every run: never part of the content
    columns = list(node.write.skip_unchanged) or [name for name, _ in engine.schema(frame) if name not in added]
    row = dialect.row_hash([dialect.ident(c) for c in columns])
    query = (f"SELECT count(*) AS n, CAST(bit_xor({row}) AS VARCHAR(40)) AS x, "
             f"CAST(sum(abs(({row}) % 1000003)) AS VARCHAR(40)) AS s FROM df")
    (digest,) = engine.sample(engine.sql(query, {"df": frame}), 1)
    payload = [node.content_hash, columns, str(digest["n"]), str(digest["x"]), str(digest["s"])]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def unchanged(ctx: RunContext, node: PlanNode, digest: str, target_exists: bool) -> dict[str, Any] | None:
    """The record of the last write when ``digest`` matches it and the target is still there, else None."""
    if not target_exists:
        return None
    try:
        last = _record(ctx, node).read_json()
    except (OSError, ValueError):
        return None
    return last if isinstance(last, dict) and last.get("fingerprint") == digest else None


def remember(ctx: RunContext, node: PlanNode, digest: str, outcome: WriteOutcome) -> None:
    """After a write: what was written, so the next run can tell it is the same."""
    _record(ctx, node).write_json({"fingerprint": digest, "run_id": ctx.run_id, "location": outcome.location,
                                   "at": time.time()}, indent=None)


def skipped_outcome(node: PlanNode, last: dict[str, Any], location: str) -> WriteOutcome:
    assert node.write is not None
    return WriteOutcome(0, location, node.write.mode, skipped=True,
                        details={"skipped": SKIPPED_UNCHANGED, "last_written_by": str(last.get("run_id", ""))})


def _record(ctx: RunContext, node: PlanNode) -> Any:
    return ctx.system_store.child("unchanged", f"{node.id}.json")


def target_exists(engine: Engine, node: PlanNode, connection: Any) -> bool:
    """Whether the node's write target can be read (a deleted target is written again)."""
    assert node.write is not None
    try:
        engine.schema(engine.read(node.write.as_read(), connection))
        return True
    except Exception:  # noqa: BLE001 (missing or unreadable: write it)
        return False
