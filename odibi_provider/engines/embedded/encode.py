"""Encode one Arrow table as a csv / json-lines / parquet file (DuckDB COPY) or an excel file (openpyxl)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..sql.dialect import DUCKDB
from .lazy import LazyQuery


def encode(con: Any, table: Any, dest: Path, fmt: str, options: Mapping[str, Any], *,
           partition_by: Sequence[str] = (), pattern: str | None = None) -> int:
    """Write ``table`` (Arrow, or a :class:`LazyQuery` streamed by COPY) to ``dest``: a file, or with
    ``partition_by`` a directory of hive folders. Returns the rows written."""
    if isinstance(table, LazyQuery):
        return _copy(con, table, dest, fmt, options, partition_by, pattern)
    if fmt == "excel":
        _excel(table, dest, options)
        return int(table.num_rows)
    name = f"_odibi_out_{uuid.uuid4().hex}"
    con.register(name, table)
    try:
        con.execute(_copy_statement(f"SELECT * FROM {DUCKDB.ident(name)}", dest, fmt, options, partition_by, pattern))
    finally:
        con.unregister(name)
    return int(table.num_rows)


def _copy(con: Any, lazy: LazyQuery, dest: Path, fmt: str, options: Mapping[str, Any],
          partition_by: Sequence[str], pattern: str | None) -> int:
    lazy.register(con)
    result = con.execute(_copy_statement(lazy.sql, dest, fmt, options, partition_by, pattern)).fetchone()
    return int(result[0]) if result else 0


def _copy_statement(query: str, dest: Path, fmt: str, options: Mapping[str, Any], partition_by: Sequence[str],
                    pattern: str | None) -> str:
    copy = _copy_options(fmt, options)
    if partition_by:
        copy.append(f"PARTITION_BY ({', '.join(DUCKDB.ident(c) for c in partition_by)})")
        copy.append("OVERWRITE_OR_IGNORE true")
        if pattern:
            copy.append(f"FILENAME_PATTERN {DUCKDB.argument(pattern)}")
    return f"COPY ({query}) TO {DUCKDB.argument(str(dest))} ({', '.join(copy)})"


def _copy_options(fmt: str, o: Mapping[str, Any]) -> list[str]:
    if fmt == "csv":
        named = {"HEADER": o.get("header", True), "DELIMITER": o.get("delimiter", o.get("sep")),
                 "QUOTE": o.get("quote"), "ESCAPE": o.get("escape"), "NULLSTR": o.get("nullstr")}
    elif fmt == "json":
        named = {"ARRAY": o.get("lines") is False or None}
    else:
        named = {"COMPRESSION": o.get("compression"), "ROW_GROUP_SIZE": o.get("row_group_size")}
    return [f"FORMAT {fmt}"] + [f"{k} {DUCKDB.argument(v)}" for k, v in named.items() if v is not None]


def _excel(table: Any, dest: Path, options: Mapping[str, Any]) -> None:
    from ...extras import require

    require("openpyxl", purpose="writing excel")
    frame = table.to_pandas()
    for column in frame.columns:  # Excel has no time zones: write UTC wall-clock times
        if getattr(frame[column].dtype, "tz", None) is not None:
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    with open(dest, "wb") as handle:
        frame.to_excel(handle, sheet_name=str(options.get("sheet_name", "Sheet1")), index=False, engine="openpyxl")
        handle.flush()
