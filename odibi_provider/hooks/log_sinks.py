"""Transformation log sinks, as odibi_de_v2 names them: one row per node outcome, in a file, a SQL table or
a Delta table.

A log sink is a hook sink (:meth:`BaseLogSink.attach` subscribes it to ``node_complete``, ``node_error``
and ``node_skipped``), and ``run_project(..., log_sink=sink)`` attaches it for that run. Like every sink it
never fails the run: a row that cannot be written is logged with its traceback and dropped. Rows are flat
(:data:`LOG_COLUMNS`), so the CSV, SQL and Delta logs have the same columns.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .events import Event, EventType
from .manager import EventSpec, Filters, HookManager
from .sinks import EventSink, SqlTableSink

LOG_EVENTS = (EventType.NODE_COMPLETE, EventType.NODE_ERROR, EventType.NODE_SKIPPED)
LOG_COLUMNS = ("run_id", "project", "pipeline", "layer", "node", "transformation_id", "function", "engine",
               "status", "rows", "duration_s", "attempt", "error", "output_table", "started_at", "finished_at")
_STATUS = {EventType.NODE_ERROR: "failed", EventType.NODE_SKIPPED: "skipped"}


def log_row(event: Event) -> dict[str, Any]:
    """The flat log row of a node outcome event (times as ISO-8601 UTC text)."""
    details = event.details
    finished = datetime.fromtimestamp(event.timestamp, UTC)
    started = (datetime.fromtimestamp(event.timestamp - event.duration_s, UTC)
               if event.duration_s is not None else None)
    return {
        "run_id": event.run_id, "project": event.project, "pipeline": event.pipeline, "layer": event.layer,
        "node": event.node, "transformation_id": event.node_name,
        "function": details.get("function"), "engine": event.engine,
        "status": _STATUS.get(event.type) or str(details.get("status") or "success"),
        "rows": event.rows, "duration_s": event.duration_s, "attempt": event.attempt, "error": event.error,
        "output_table": details.get("dataset"),
        "started_at": started.isoformat() if started else None, "finished_at": finished.isoformat(),
    }


class BaseLogSink(EventSink):
    """A sink that records one :func:`log_row` per node outcome; subclasses implement :meth:`write_row`."""

    def attach(self, hooks: HookManager, events: EventSpec = LOG_EVENTS, *, filters: Filters | None = None,
               priority: int = 0) -> HookManager:
        """Subscribe to node outcomes (or ``events``) on ``hooks``; return ``hooks``."""
        return super().attach(hooks, events, filters=filters, priority=priority)

    def write(self, event: Event) -> None:
        self.write_row(log_row(event))

    def write_row(self, row: Mapping[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class FileLogSink(BaseLogSink):
    """Append rows to a CSV file (``.csv``, header written once) or JSON Lines (``.jsonl``/``.json``).

    Each row is one ``write`` on a file opened in append mode, serialised by a lock, so rows from threads
    do not interleave. ``format`` overrides the choice by suffix.
    """

    def __init__(self, path: str | Path, format: str | None = None) -> None:
        self.path = Path(path)
        fmt = format or ("csv" if self.path.suffix.lower() == ".csv" else
                         "jsonl" if self.path.suffix.lower() in (".jsonl", ".json", ".ndjson") else None)
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"FileLogSink({str(path)!r}): name the file .csv or .jsonl, or pass "
                             f"format='csv' or format='jsonl' (got {format or self.path.suffix or 'no suffix'!r})")
        self.format = fmt
        self._lock = threading.Lock()

    def write_row(self, row: Mapping[str, Any]) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8", newline="") as fh:
                fh.write(self._line(row, header=fh.tell() == 0))
                fh.flush()

    def _line(self, row: Mapping[str, Any], *, header: bool) -> str:
        if self.format == "jsonl":
            return json.dumps(dict(row), default=str, ensure_ascii=False) + "\n"
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=LOG_COLUMNS)
        if header:
            writer.writeheader()
        writer.writerow(row)
        return buffer.getvalue()

    def read(self) -> list[dict[str, Any]]:
        """The rows written so far (CSV values as text); empty when the file does not exist."""
        if not self.path.exists():
            return []
        text = self.path.read_text(encoding="utf-8")
        if self.format == "csv":
            return list(csv.DictReader(io.StringIO(text)))
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"FileLogSink({str(self.path)!r}, format={self.format!r})"


class SQLTableLogSink(BaseLogSink, SqlTableSink):
    """Insert rows into a SQL table (created when missing) through SQLAlchemy: ``SQLTableLogSink(url)``."""

    def __init__(self, url: str, table: str = "odibi_transformation_log", *, schema: str | None = None,
                 engine_options: Mapping[str, Any] | None = None) -> None:
        SqlTableSink.__init__(self, url, table, schema=schema, engine_options=engine_options)

    def write_row(self, row: Mapping[str, Any]) -> None:
        self._insert(row)

    def _make_table(self, sa: Any, name: str, schema: str | None) -> Any:
        return _log_table(sa, name, schema)


def _log_table(sa: Any, name: str, schema: str | None) -> Any:
    """The SQLAlchemy ``Table`` of the transformation log (an ``id`` key, then :data:`LOG_COLUMNS`)."""
    types = {"rows": sa.BigInteger, "duration_s": sa.Float, "attempt": sa.Integer, "error": sa.Text}
    columns = [sa.Column(c, types.get(c, sa.String(512))) for c in LOG_COLUMNS]
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    *columns, schema=schema)


class DeltaLogSink(BaseLogSink):
    """Append rows to a Delta table at ``path`` (local or object store) with deltalake, one commit per row;
    the table is created on the first row with the log's schema."""

    def __init__(self, path: str | Path, *, storage_options: Mapping[str, str] | None = None) -> None:
        self.path = str(path)
        self.storage_options = dict(storage_options or {})
        self._lock = threading.Lock()

    def write_row(self, row: Mapping[str, Any]) -> None:
        from ..extras import require

        pa = require("pyarrow", purpose="the Delta log sink")
        deltalake = require("deltalake", purpose="the Delta log sink")
        table = pa.Table.from_pylist([dict(row)], schema=_arrow_schema(pa))
        with self._lock:
            deltalake.write_deltalake(self.path, table, mode="append",
                                      storage_options=self.storage_options or None)

    def __repr__(self) -> str:
        return f"DeltaLogSink({self.path!r})"


class SparkDeltaLogSink(BaseLogSink):
    """Append rows to a Delta table with Spark: a catalog table name (``logs.transformations``) or a path.
    ``spark`` defaults to the active session when the first row is written."""

    def __init__(self, table: str = "odibi_transformation_log", *, spark: Any = None) -> None:
        self.table = table
        self.spark = spark
        self._lock = threading.Lock()

    def write_row(self, row: Mapping[str, Any]) -> None:
        spark = self.spark or _active_spark()
        from ..extras import require

        pa = require("pyarrow", purpose="the Spark Delta log sink")
        frame = spark.createDataFrame(pa.Table.from_pylist([dict(row)], schema=_arrow_schema(pa)).to_pandas())
        writer = frame.write.format("delta").mode("append")
        with self._lock:
            if "/" in self.table or ":" in self.table:
                writer.save(self.table)
            else:
                writer.saveAsTable(self.table)

    def __repr__(self) -> str:
        return f"SparkDeltaLogSink({self.table!r})"


def _active_spark() -> Any:
    from ..extras import require

    sql = require("pyspark.sql", purpose="the Spark Delta log sink")
    session = sql.SparkSession.getActiveSession()
    if session is None:
        raise RuntimeError("SparkDeltaLogSink has no Spark session: pass spark=<SparkSession> or start one first")
    return session


def _arrow_schema(pa: Any) -> Any:
    types = {"rows": pa.int64(), "duration_s": pa.float64(), "attempt": pa.int64()}
    return pa.schema([(c, types.get(c, pa.string())) for c in LOG_COLUMNS])
