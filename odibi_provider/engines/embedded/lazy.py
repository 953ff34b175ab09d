"""Lazy frames: a DuckDB query that has not run yet, so reads, SQL steps and writes stream end to end.

A node that reads a CSV, casts it in SQL and writes Parquet runs as one ``COPY (query) TO ...`` — DuckDB
streams it in parallel without holding the table in memory, as a hand-written DuckDB script would.
A lazy frame is materialized (to Arrow) only where data must exist: validation, Python functions,
and handing a computed result to several downstream nodes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..sql.dialect import DUCKDB

_WITH = re.compile(r"^\s*with\s+(recursive\s+)?", re.IGNORECASE)
_IDS = itertools.count()


@dataclass(frozen=True)
class LazyQuery:
    """SQL over ``tables`` (Arrow tables under unique names); ``columns``/``types`` come from binding."""

    sql: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    tables: Mapping[str, Any] = field(default_factory=dict)
    scan_format: str | None = None  # set when the query only scans files of this format
    # filled once: "table" (the materialized Arrow table), "written" (a scan of what a write produced)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def register(self, con: Any) -> None:
        """Register the Arrow tables the query reads on ``con``."""
        for name, table in self.tables.items():
            con.register(name, table)

    def materialize(self, con: Any) -> Any:
        """Run the query into a ``pyarrow.Table`` (once: the result is cached)."""
        if "table" not in self.cache:
            self.register(con)
            self.cache["table"] = con.sql(self.sql).to_arrow_table()
        return self.cache["table"]


def unique_name() -> str:
    return f"__odibi_t{next(_IDS)}"


def compose(query: str, relations: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``query`` with each relation bound as a CTE of its name; returns (sql, Arrow tables to register).

    Arrow relations are registered under unique names, lazy ones are inlined, so names never clash
    between nodes running at the same time.
    """
    tables: dict[str, Any] = {}
    ctes = []
    for name, frame in relations.items():
        if isinstance(frame, LazyQuery):
            ctes.append(f"{DUCKDB.ident(name)} AS ({frame.sql})")
            tables.update(frame.tables)
        else:
            alias = unique_name()
            tables[alias] = frame
            ctes.append(f"{DUCKDB.ident(name)} AS (SELECT * FROM {alias})")
    if not ctes:
        return query, tables
    head = _WITH.match(query)
    if head:
        keyword = "WITH RECURSIVE " if head.group(1) else "WITH "
        return f"{keyword}{', '.join(ctes)}, {query[head.end():]}", tables
    return f"WITH {', '.join(ctes)} {query}", tables
