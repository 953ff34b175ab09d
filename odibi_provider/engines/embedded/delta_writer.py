"""Write Delta tables with deltalake: one commit per write, so a killed write never shows.

Every commit carries ``odibi.write_id`` in its commit metadata. An append also records the app
transaction ``odibi:<write id>``; an append whose transaction is already in the table is skipped,
so a retried append adds no rows. Upsert and append_once are one ``MERGE`` commit on the key
columns (null keys match null keys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...extras import require
from ..base import WriteOutcome

APP_PREFIX = "odibi:"


def write_delta(table: Any, location: str, mode: str, keys: Sequence[str], options: Mapping[str, Any],
                partition_by: Sequence[str], *, write_id: str, storage_options: Mapping[str, str]) -> WriteOutcome:
    """Write ``table`` to the Delta table at ``location`` in ``mode`` (one commit, or none when skipped)."""
    deltalake = require("deltalake", purpose="writing delta tables")
    storage = dict(storage_options) or None
    table = delta_compatible(table)
    exists = deltalake.DeltaTable.is_deltatable(location, storage_options=storage)
    app_id = APP_PREFIX + write_id
    if mode == "append" and exists:
        current = deltalake.DeltaTable(location, storage_options=storage)
        if current.transaction_version(app_id) is not None:
            return WriteOutcome(0, location, mode, skipped=True,
                                details={"format": "delta", "write_id": write_id, "version": current.version()})
    props = deltalake.CommitProperties(
        custom_metadata={"odibi.write_id": write_id, "odibi.mode": mode},
        app_transactions=[deltalake.Transaction(app_id, 1)] if mode == "append" else None)
    if mode in ("upsert", "append_once") and exists:
        rows = _merge(deltalake.DeltaTable(location, storage_options=storage), table, mode, keys, props)
    else:
        schema_mode = options.get("schema_mode", "overwrite" if mode == "overwrite" else None)
        deltalake.write_deltalake(
            location, table, mode="overwrite" if mode == "overwrite" else "append",
            partition_by=list(partition_by) or None, schema_mode=schema_mode, storage_options=storage,
            target_file_size=options.get("target_file_size"), description=options.get("description"),
            commit_properties=props)
        rows = table.num_rows
    version = deltalake.DeltaTable(location, storage_options=storage).version()
    return WriteOutcome(rows, location, mode, details={"format": "delta", "write_id": write_id, "version": version})


def _merge(target: Any, source: Any, mode: str, keys: Sequence[str], props: Any) -> int:
    predicate = " AND ".join(f"t.{_ident(k)} IS NOT DISTINCT FROM s.{_ident(k)}" for k in keys)
    merger = target.merge(source, predicate, source_alias="s", target_alias="t", commit_properties=props)
    if mode == "upsert":
        merger = merger.when_matched_update_all()
    metrics = merger.when_not_matched_insert_all().execute()
    return source.num_rows if mode == "upsert" else int(metrics.get("num_target_rows_inserted", 0))


def delta_compatible(table: Any) -> Any:
    """Cast Arrow types Delta cannot store: ns timestamps -> us, unsigned -> signed, null -> string."""
    pa = require("pyarrow")
    t = pa.types
    fields = []
    for field in table.schema:
        kind = field.type
        if t.is_timestamp(kind) and kind.unit == "ns":
            kind = pa.timestamp("us", tz=kind.tz)
        elif t.is_unsigned_integer(kind):
            kind = {8: pa.int16(), 16: pa.int32()}.get(kind.bit_width, pa.int64())
        elif t.is_null(kind):
            kind = pa.string()
        fields.append(field.with_type(kind))
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return table if schema.equals(table.schema) else table.cast(schema, safe=False)


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
