"""Delta Lake through the Spark API: reads (time travel), and writes that are one Delta commit each.

* overwrite / append: ``DataFrameWriter.format("delta")``; every commit's ``userMetadata`` is
  ``{"odibi.write_id": ..., "odibi.mode": ...}``. An append also passes the idempotent-writer options
  ``txnAppId=odibi:<write id>``/``txnVersion=1`` (delta-spark skips a repeated transaction; servers that
  ignore them are covered by the next rule), and is skipped when a commit of the table already carries its
  write id or app transaction, so a retried append adds no rows.
* upsert / append_once: one ``MERGE INTO`` on the key columns (null keys match null keys); a retry
  rewrites the same rows, so it needs no bookkeeping.

The table's commits are read from ``_delta_log`` directly (local paths, or an fsspec file system), which
works the same on a JVM session with delta-spark, on Databricks and on Spark Connect servers.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import ExecutionError
from ..base import WriteOutcome
from ..sql.dialect import SPARK
from .localfs import is_local, local_path
from .relations import run_command

APP_PREFIX = "odibi:"
SOURCE = "__odibi_merge_source"
NO_DELTA = ("Delta Lake is not available in this Spark session ({error}); on a cluster use one with Delta "
            "installed (Databricks has it), or start the session with the delta-spark jars: "
            "configure_spark(conf=odibi_provider.engines.spark.delta_conf()) where Maven is reachable, "
            "or spark.jars with a local delta-spark jar")


class DeltaLog:
    """The JSON commits of the Delta table at ``location`` (read without Spark)."""

    def __init__(self, location: str, fs: Any = None) -> None:
        self.location = location.rstrip("/")
        self.fs = fs

    @property
    def _dir(self) -> str:
        return posixpath.join(self.location, "_delta_log")

    def versions(self) -> list[int]:
        """Versions that have a JSON commit file, ascending (empty when there is no table)."""
        names = self._names()
        return sorted(int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit())

    def exists(self) -> bool:
        names = self._names()
        return any(n.endswith(".json") or n.endswith(".checkpoint.parquet") or n == "_last_checkpoint"
                   for n in names)

    def actions(self, version: int) -> list[dict[str, Any]]:
        path = posixpath.join(self._dir, f"{version:020d}.json")
        if self.fs is None:
            with open(local_path(path), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        else:
            with self.fs.open(path, "r") as handle:
                lines = handle.read().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def commit_info(self, version: int) -> dict[str, Any]:
        return next((a["commitInfo"] for a in self.actions(version) if "commitInfo" in a), {})

    def has_write(self, write_id: str) -> bool:
        """True when a commit carries ``write_id`` in its userMetadata or as an app transaction (newest first)."""
        app_id = APP_PREFIX + write_id
        for version in reversed(self.versions()):
            for action in self.actions(version):
                if action.get("txn", {}).get("appId") == app_id:
                    return True
                if _write_id(action.get("commitInfo", {}).get("userMetadata")) == write_id:
                    return True
        return False

    def _names(self) -> list[str]:
        if self.fs is None:
            folder = local_path(self._dir)
            return [p.name for p in folder.iterdir()] if folder.is_dir() else []
        try:
            return [posixpath.basename(p.rstrip("/")) for p in self.fs.ls(self._dir, detail=False)]
        except FileNotFoundError:
            return []


def _write_id(metadata: Any) -> str | None:
    if not isinstance(metadata, str) or "odibi.write_id" not in metadata:
        return None
    try:
        return json.loads(metadata).get("odibi.write_id")
    except (json.JSONDecodeError, AttributeError):
        return None


def read_delta(session: Any, location: str, options: Mapping[str, Any]) -> Any:
    """The Delta table at ``location`` (``version``/``versionAsOf``/``timestampAsOf`` travel in time)."""
    reader = session.read.format("delta")
    version = options.get("version", options.get("versionAsOf"))
    if version is not None:
        reader = reader.option("versionAsOf", int(version))
    if options.get("timestampAsOf") is not None:
        reader = reader.option("timestampAsOf", str(options["timestampAsOf"]))
    frame = reader.load(location)
    return frame.select(*options["columns"]) if options.get("columns") else frame


def write_delta(frame: Any, location: str, mode: str, keys: Sequence[str], options: Mapping[str, Any],
                partition_by: Sequence[str], *, write_id: str, fs: Any = None) -> WriteOutcome:
    """Write ``frame`` to the Delta table at ``location`` in ``mode`` (one commit, or none when skipped)."""
    log = DeltaLog(location, fs if not is_local(location) else None)
    before = log.versions()
    details: dict[str, Any] = {"format": "delta", "write_id": write_id}
    if mode == "append" and before and log.has_write(write_id):
        return WriteOutcome(0, location, mode, skipped=True, details={**details, "version": before[-1]})
    properties = {str(k): str(v) for k, v in (options.get("table_properties") or {}).items()}
    by_writer = {k: v for k, v in properties.items() if k.startswith("delta.") and (mode == "overwrite" or not before)}
    if altered := {k: v for k, v in properties.items() if k not in by_writer}:  # before the data is written
        _table_options(frame.sparkSession, location, altered, ())
    if mode in ("upsert", "append_once") and log.exists():
        _merge(frame, location, mode, keys)
    else:
        _save(frame, location, mode, {**options, "table_properties": by_writer}, partition_by, write_id)
    version = log.versions()[-1]
    if before and version == before[-1]:  # a MERGE with nothing to change commits nothing
        return WriteOutcome(0, location, mode, details={**details, "version": version})
    rows, frame_rows = _rows(log.commit_info(version).get("operationMetrics", {}), mode, bool(before))
    if options.get("zorder_by"):
        _table_options(frame.sparkSession, location, {}, options["zorder_by"])
        version = log.versions()[-1]
    return WriteOutcome(rows if rows is not None else int(frame.count()), location, mode, frame_rows=frame_rows,
                        details={**details, "version": version})


def _table_options(session: Any, location: str, properties: Mapping[str, str], zorder_by: Sequence[str]) -> None:
    """``write.table_properties`` the writer could not set (ALTER TABLE) and ``write.zorder_by`` (OPTIMIZE),
    after the data commit; a session that cannot run them fails the node saying which key to drop."""
    target = "delta.`" + location.replace("`", "``") + "`"
    statements = []
    if properties:
        pairs = ", ".join(f"{SPARK.string(k)} = {SPARK.string(v)}" for k, v in properties.items())
        statements.append(("table_properties", f"ALTER TABLE {target} SET TBLPROPERTIES ({pairs})"))
    if zorder_by:
        statements.append(("zorder_by", f"OPTIMIZE {target} ZORDER BY ({', '.join(map(SPARK.ident, zorder_by))})"))
    for key, statement in statements:
        try:
            run_command(session, statement, {}, what=f"write.{key}")
        except ExecutionError as exc:
            raise ExecutionError(f"{exc}\n  this Spark session cannot apply write.{key} "
                                 f"(Sail has no {statement.split()[0]} on a Delta path): run the node on a "
                                 f"session with delta-spark or on the embedded engine, or drop {key}",
                                 retryable=False) from exc


def _save(frame: Any, location: str, mode: str, options: Mapping[str, Any], partition_by: Sequence[str],
          write_id: str) -> None:
    writer = frame.write.format("delta").mode("overwrite" if mode == "overwrite" else "append")
    writer = writer.option("userMetadata", json.dumps({"odibi.write_id": write_id, "odibi.mode": mode}))
    if mode == "append":
        writer = writer.option("txnAppId", APP_PREFIX + write_id).option("txnVersion", 1)
    schema_mode = options.get("schema_mode", "overwrite" if mode == "overwrite" else None)
    if schema_mode == "overwrite" and mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    elif schema_mode == "merge":
        writer = writer.option("mergeSchema", "true")
    for key in ("mergeSchema", "overwriteSchema", "maxRecordsPerFile"):
        if key in options:
            writer = writer.option(key, str(options[key]).lower())
    for key, value in (options.get("table_properties") or {}).items():  # delta.* names: set as the table is written
        writer = writer.option(key, value)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    try:
        writer.save(location)
    except Exception as exc:
        error = delta_error(exc)
        if error is exc:  # not about a missing Delta: as it was (``from`` itself would make a cause cycle)
            raise
        raise error from exc


def _merge(frame: Any, location: str, mode: str, keys: Sequence[str]) -> None:
    """One MERGE INTO commit: upsert updates matches and inserts the rest; append_once inserts unseen keys."""
    on = " AND ".join(f"t.{SPARK.ident(k)} <=> s.{SPARK.ident(k)}" for k in keys)
    target = "delta.`" + location.replace("`", "``") + "`"
    update = "WHEN MATCHED THEN UPDATE SET * " if mode == "upsert" else ""
    statement = (f"MERGE INTO {target} AS t USING {SOURCE} AS s ON {on} {update}"
                 "WHEN NOT MATCHED THEN INSERT *")
    run_command(frame.sparkSession, statement, {SOURCE: frame}, what=f"delta {mode} (MERGE INTO)")


def _rows(metrics: Mapping[str, Any], mode: str, existed: bool) -> tuple[int | None, int | None]:
    """(rows written, rows in the frame) from the commit's operation metrics, when Delta recorded them."""
    def metric(name: str) -> int | None:
        value = metrics.get(name)
        return int(value) if value is not None and str(value).lstrip("-").isdigit() else None

    if mode in ("upsert", "append_once") and existed:
        source = metric("numSourceRows")
        return (source if mode == "upsert" else metric("numTargetRowsInserted")), source
    output = metric("numOutputRows")
    return output, output


def delta_error(exc: BaseException) -> Exception:
    """An ExecutionError explaining how to get Delta when the session has none; else ``exc`` itself."""
    text = str(exc)
    if "DATA_SOURCE_NOT_FOUND" in text or "Failed to find data source: delta" in text or (
            "ClassNotFoundException" in text and "delta" in text.lower()):
        from .session import first_line

        return ExecutionError(NO_DELTA.format(error=first_line(exc)))
    return exc if isinstance(exc, Exception) else Exception(text)

