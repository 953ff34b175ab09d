"""Read source records with their locations: a JSON list of objects, a CSV file, a SQLite table (``sqlite3``)
or a table through a SQL connection (SQLAlchemy, parameterised; table and column names are reflected, never
pasted into SQL text)."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import Problem
from ._tree import Collector, Row


def json_rows(path: Path, sink: Collector, *, what: str = "row") -> list[Row]:
    """Each object of a top-level JSON list, located at the line where it starts."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    rows: list[Row] = []
    index = _skip(text, 0)
    if not text.startswith("[", index):
        sink.add(Problem("expected a JSON list of objects", file=str(path), line=_line(text, index), code="import",
                         hint=f"write [{{...}}, {{...}}], one object per {what}"))
        return rows
    index = _skip(text, index + 1)
    while index < len(text) and text[index] != "]":
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError as exc:
            sink.add(Problem(f"invalid JSON: {exc}", file=str(path), line=_line(text, index), code="import"))
            return rows
        if isinstance(value, dict):
            rows.append(Row(value, str(path), _line(text, index), what))
        else:
            sink.add(Problem(f"each {what} must be a JSON object, got {type(value).__name__}", file=str(path),
                             line=_line(text, index), code="import"))
        index = _skip(text, end)
        if text.startswith(",", index):
            index = _skip(text, index + 1)
    return rows


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def csv_rows(path: Path, *, what: str = "row") -> list[Row]:
    """Each CSV record (header first), located at the line where it starts; empty cells are absent."""
    rows: list[Row] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        start = 2
        for record in reader:
            values = {k: v for k, v in record.items() if k is not None and v not in (None, "")}
            rows.append(Row(values, str(path), start, what))
            start = reader.line_num + 1
    return rows


def sqlite_rows(path: Path, table: str, sink: Collector, *, what: str = "row") -> list[Row]:
    """The rows of ``table`` in a SQLite file (read-only), located as ``file`` row N (1-based)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
                                   (table,)).fetchone()
        if found is None:
            names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            sink.add(Problem(f"no table '{table}' in {path.name}", file=str(path), code="import",
                             hint=f"tables: {', '.join(names) or '(none)'}"))
            return []
        quoted = '"' + str(found[0]).replace('"', '""') + '"'  # a name that exists, read back from the catalog
        cursor = connection.execute(f"SELECT * FROM {quoted}")  # the identifier was checked above
        columns = [d[0] for d in cursor.description]
        return [Row({c: v for c, v in zip(columns, record, strict=True) if v is not None}, str(path), n, what)
                for n, record in enumerate(cursor, start=1)]
    finally:
        connection.close()


def sqlite_tables(path: Path) -> list[tuple[str, list[str]]]:
    """The tables of a SQLite file with their columns."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [(n, [r[1] for r in connection.execute("SELECT * FROM pragma_table_info(?)", (n,))]) for n in names]
    finally:
        connection.close()


def sql_rows(url: str, table: str, filters: Mapping[str, Any], *, schema: str | None = None,
             project_dir: Path, what: str = "row") -> list[Row]:
    """Rows of ``table`` through the ``sql`` connection's database handling (``${env:...}`` in the URL, drivers,
    SQLite paths relative to ``project_dir``), filtered by ``column = value`` (bound parameters) on the columns
    the table has; located as ``url#table`` row N with the password hidden."""
    from ..connections.sql import SqlDatabase, redact_url
    from ..extras import require
    from ..manifest.substitution import Environment

    sa = require("sqlalchemy", purpose="reading the TransformationRegistry from a SQL table")
    database = SqlDatabase("registry", url, schema, Environment.for_project(project_dir), project_dir=project_dir)
    engine = database.engine()
    try:
        reflected = sa.Table(table, sa.MetaData(), schema=schema, autoload_with=engine)
        query = sa.select(reflected)
        for column, value in filters.items():
            if column in reflected.c:
                query = query.where(reflected.c[column] == value)
        with engine.connect() as conn:
            records = [dict(r._mapping) for r in conn.execute(query)]
    finally:
        engine.dispose()
    where = f"{redact_url(url)}#{f'{schema}.' if schema else ''}{table}"
    return [Row({k: v for k, v in r.items() if v is not None}, where, n, what) for n, r in enumerate(records, 1)]
