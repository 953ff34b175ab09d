"""Event log sinks: append every event to a JSON Lines file or a SQL table.

A sink never fails the run: a write that fails is logged with its traceback and the event is dropped.
Nothing connects at construction; the SQL sink imports SQLAlchemy (the ``sql`` extra) on its first event.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .events import Event
from .manager import EventSpec, Filters, HookManager

logger = logging.getLogger(__name__)

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")
_MASK = r"\1***@"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


class EventSink:
    """Base class: ``attach`` subscribes :meth:`handle`, which guards :meth:`write` against every error."""

    def attach(self, hooks: HookManager, events: EventSpec = "*", *, filters: Filters | None = None,
               priority: int = 0) -> HookManager:
        """Subscribe this sink to ``events`` (default all) on ``hooks``; return ``hooks``."""
        hooks.register(events, self.handle, filters=filters, priority=priority)
        return hooks

    def handle(self, event: Event) -> None:
        """Write ``event``; log and swallow any failure."""
        try:
            self.write(event)
        except Exception:
            logger.exception("%r could not record %s event (node %s); the run continues",
                             self, event.type.value, event.node or "-")

    def write(self, event: Event) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class JsonLinesSink(EventSink):
    """Append one JSON object per event to ``path`` (created with its folders), flushed per line.

    Each line is one ``write`` on a file opened in append mode, so threads (serialised by a lock) and
    separate processes appending to the same file do not interleave partial lines.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def write(self, event: Event) -> None:
        line = _json(event.to_dict()) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()

    def read(self) -> list[Event]:
        """The events recorded so far (an empty list when the file does not exist)."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [Event.from_dict(json.loads(line)) for line in lines if line.strip()]

    def __repr__(self) -> str:
        return f"JsonLinesSink({str(self.path)!r})"


class SqlTableSink(EventSink):
    """Insert one row per event into ``table`` through SQLAlchemy (SQLite, PostgreSQL, ...).

    The table is created when missing, with a column per Event field; ``tags`` and ``details`` are JSON
    text. ``engine_options`` go to ``sqlalchemy.create_engine``.
    """

    def __init__(self, url: str, table: str = "odibi_events", *, schema: str | None = None,
                 engine_options: Mapping[str, Any] | None = None) -> None:
        self.url = url
        self.table_name = table
        self.schema = schema
        self._engine_options = dict(engine_options or {})
        self._lock = threading.Lock()
        self._engine: Any = None
        self._table: Any = None

    def write(self, event: Event) -> None:
        row = event.to_dict()
        row["tags"] = _json(row["tags"])
        row["details"] = _json(row["details"])
        self._insert(row)

    def _insert(self, row: Mapping[str, Any]) -> None:
        with self._lock:
            engine, table = self._ensure_table()
            with engine.begin() as conn:
                conn.execute(table.insert(), dict(row))

    def close(self) -> None:
        """Release the connection pool; the next event opens a new one."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = self._table = None

    def _ensure_table(self) -> tuple[Any, Any]:
        if self._table is None:
            sa = _sqlalchemy()
            from ..connections.sql import sqlalchemy_url

            engine = sa.create_engine(sqlalchemy_url(self.url), **self._engine_options)
            table = self._make_table(sa, self.table_name, self.schema)
            try:
                table.metadata.create_all(engine, checkfirst=True)
            except Exception:
                # another process may have created it between the check and the CREATE
                if not sa.inspect(engine).has_table(self.table_name, schema=self.schema):
                    engine.dispose()
                    raise
            self._engine, self._table = engine, table
        return self._engine, self._table

    def _make_table(self, sa: Any, name: str, schema: str | None) -> Any:
        return event_table(sa, name, schema)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_PASSWORD.sub(_MASK, self.url)!r}, table={self.table_name!r})"


def _sqlalchemy() -> Any:
    from ..extras import require

    return require("sqlalchemy", purpose="the SQL event sink")


def event_table(sa: Any, name: str = "odibi_events", schema: str | None = None) -> Any:
    """The SQLAlchemy ``Table`` the SQL sink writes: one column per Event field plus an ``id`` key."""
    columns: Iterable[Any] = (
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(32), nullable=False, index=True),
        sa.Column("run_id", sa.String(255), index=True),
        sa.Column("project", sa.String(255)),
        sa.Column("pipeline", sa.String(255)),
        sa.Column("layer", sa.String(255)),
        sa.Column("node", sa.String(512)),
        sa.Column("engine", sa.String(64)),
        sa.Column("tags", sa.Text),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float),
        sa.Column("rows", sa.BigInteger),
        sa.Column("attempt", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("details", sa.Text),
    )
    return sa.Table(name, sa.MetaData(), *columns, schema=schema)
