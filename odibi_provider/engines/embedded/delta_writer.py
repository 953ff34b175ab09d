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
    properties = {str(k): str(v) for k, v in (options.get("table_properties") or {}).items()} or None
    if properties and exists:  # before the data: a property delta-rs refuses leaves the table as it was
        deltalake.DeltaTable(location, storage_options=storage).alter.set_table_properties(
            properties, commit_properties=deltalake.CommitProperties(custom_metadata={"odibi.mode": "properties"}))
    if mode in ("upsert", "append_once") and exists:
        rows = _merge(deltalake.DeltaTable(location, storage_options=storage), table, mode, keys, props)
    else:
        schema_mode = options.get("schema_mode", "overwrite" if mode == "overwrite" else None)
        deltalake.write_deltalake(
            location, table, mode="overwrite" if mode == "overwrite" else "append",
            partition_by=list(partition_by) or None, schema_mode=schema_mode, storage_options=storage,
            target_file_size=options.get("target_file_size"), description=options.get("description"),
            configuration=None if exists else properties, commit_properties=props)
        rows = table.num_rows
    written = deltalake.DeltaTable(location, storage_options=storage)
    if columns := options.get("zorder_by"):  # its own commit, with the write's id so a retry still finds it
        written.optimize.z_order(list(columns), commit_properties=deltalake.CommitProperties(
            custom_metadata=props.custom_metadata))
    return WriteOutcome(rows, location, mode, details={"format": "delta", "write_id": write_id,
                                                       "version": written.version()})


def merge_delta(source: Any, location: str, clauses: Any, *, mode: str, write_id: str,
                storage_options: Mapping[str, str]) -> WriteOutcome:
    """One MERGE commit of ``source`` into the Delta table at ``location`` with ``clauses``
    (:class:`odibi_provider.engines.sql.scd.Clauses`; relations ``source`` and ``target``)."""
    deltalake = require("deltalake", purpose="writing delta tables")
    storage = dict(storage_options) or None
    props = deltalake.CommitProperties(custom_metadata={"odibi.write_id": write_id, "odibi.mode": mode})
    merger = deltalake.DeltaTable(location, storage_options=storage).merge(
        delta_compatible(source), clauses.predicate, source_alias="source", target_alias="target",
        commit_properties=props)

    def condition(text: str) -> str | None:
        return None if text in ("TRUE", "(TRUE)") else text

    if clauses.delete is not None:
        merger = merger.when_matched_delete(predicate=condition(clauses.delete))
    if clauses.update is not None:
        merger = merger.when_matched_update(dict(clauses.set_values), predicate=condition(clauses.update))
    if clauses.insert is not None:
        merger = merger.when_not_matched_insert(dict(clauses.insert_values), predicate=condition(clauses.insert))
    metrics = merger.execute()
    rows = sum(int(metrics.get(k, 0)) for k in ("num_target_rows_inserted", "num_target_rows_updated",
                                                  "num_target_rows_deleted"))
    version = deltalake.DeltaTable(location, storage_options=storage).version()
    return WriteOutcome(rows, location, mode, details={"format": "delta", "write_id": write_id, "version": version})


def last_write_id(location: str, storage_options: Mapping[str, str]) -> str | None:
    """The ``odibi.write_id`` of the latest commit of the Delta table at ``location`` (None: none/no table)."""
    deltalake = require("deltalake", purpose="reading delta tables")
    storage = dict(storage_options) or None
    if not deltalake.DeltaTable.is_deltatable(location, storage_options=storage):
        return None
    history = deltalake.DeltaTable(location, storage_options=storage).history(1)
    return history[0].get("odibi.write_id") if history else None


def existing_delta(location: str, storage_options: Mapping[str, str], *, rows: bool = True) -> Any | None:
    """The current rows of the Delta table at ``location`` (Arrow; with ``rows=False`` none, only its columns),
    or None when there is no table yet."""
    deltalake = require("deltalake", purpose="reading delta tables")
    storage = dict(storage_options) or None
    if not deltalake.DeltaTable.is_deltatable(location, storage_options=storage):
        return None
    table = deltalake.DeltaTable(location, storage_options=storage)
    if rows:
        return table.to_pyarrow_table()
    return require("pyarrow").schema(table.schema().to_arrow()).empty_table()


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
