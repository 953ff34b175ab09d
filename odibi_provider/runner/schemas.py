"""The output schema of each node's last successful run, kept in the system store as
``schemas/<node_id>.json`` (``{"columns": [[name, type], ...], "run_id", "at"}``), so a host shows a node's
columns and types before it runs again (Dagster's column schema at definition time).

Recorded only in a local system store, and read only from one: a code location loading its definitions makes
no network call. With a system store on an object store, declare the node's ``columns:`` instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..store import Store

if TYPE_CHECKING:  # pragma: no cover
    from ..plan.model import PlanNode
    from .context import RunContext

log = logging.getLogger("odibi_provider.runner")
FOLDER = "schemas"
Schema = tuple[tuple[str, str], ...]


def remember_schema(ctx: RunContext, node: PlanNode, schema: Sequence[Sequence[str]]) -> None:
    """Record the schema a node just wrote or handed on (rewritten only when it changed; a failure only logs)."""
    try:
        store = ctx.system_store
        if not store.is_local or not schema:
            return
        columns = [[str(name), str(kind)] for name, kind in schema]
        record = store.child(FOLDER, f"{node.id}.json")
        try:
            if _columns(record.read_json()) == tuple(map(tuple, columns)):
                return
        except (OSError, ValueError):  # none yet, or unreadable: write it
            pass
        record.write_json({"columns": columns, "run_id": ctx.run_id, "at": time.time()}, indent=None)
    except Exception as exc:  # noqa: BLE001 (observability never fails the work)
        log.warning("node %s: could not record its output schema: %s", node.id, exc)


def recorded_schemas(system: Store) -> dict[str, Schema]:
    """Node id -> the recorded output schema, from a local system store (empty for an object store)."""
    if not system.is_local:
        return {}
    found: dict[str, Schema] = {}
    for record in system.child(FOLDER).glob("*.json"):
        try:
            columns = _columns(record.read_json())
        except (OSError, ValueError):
            continue
        if columns:
            found[record.name.removesuffix(".json")] = columns
    return found


def _columns(data: object) -> Schema:
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, list):
        return ()
    return tuple((str(c[0]), str(c[1])) for c in columns if isinstance(c, list) and len(c) == 2)
