"""Write csv / json-lines / parquet / excel datasets atomically and idempotently.

Layouts at a dataset path ``T``:

* one file ``T`` (an overwrite of a new dataset, or of a dataset that is one file);
* a directory ``T/`` of part files ``part-<write id>.<ext>`` (an appended dataset): an append writes
  its own part with one atomic rename, so re-running a write id replaces its part instead of adding
  rows. The first append to a one-file dataset moves that file in as ``part-00000-base.<ext>``;
* hive folders ``T/<col>=<value>/part-<write id>_<n>.<ext>`` (``partition_by``): every write stages a
  complete new directory (existing files hard-linked in for an append) and swaps it in.

Upsert and append_once read the existing data, combine it with the new rows in DuckDB and replace
the dataset. Every replacement goes through :mod:`odibi_provider.engines.atomic` (stage, fsync, rename / swap).

One writer at a time: every write holds the dataset's lock (``.T.lock`` next to ``T``, see
:mod:`odibi_provider.engines.locks`) from recovery to the last rename, so concurrent writers of one
dataset wait for each other and no read-merge-write loses another's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..atomic import commit, exclusive, link_tree, staged, write_file_atomically
from ..base import WriteOutcome
from ..sql.dialect import DUCKDB
from ..writes import safe_id
from .encode import encode
from .files import PART_EXTENSION, dataset_exists
from .readers import read_location

BASE_PART = "part-00000-base"


def write_files(table: Any, target: Path, fmt: str, mode: str, keys: Sequence[str], options: Mapping[str, Any],
                partition_by: Sequence[str], *, write_id: str, con: Any, where: str) -> WriteOutcome:
    """Write ``table`` to the file dataset at ``target`` in ``mode``, holding the dataset's write lock."""
    with exclusive(target, write_id=write_id):
        return _write_locked(table, target, fmt, mode, keys, options, partition_by, write_id, con, where)


def _write_locked(table: Any, target: Path, fmt: str, mode: str, keys: Sequence[str], options: Mapping[str, Any],
                  partition_by: Sequence[str], write_id: str, con: Any, where: str) -> WriteOutcome:
    sid = safe_id(write_id)
    frame_rows: int | None
    if mode == "append":
        rows = frame_rows = _append(table, target, fmt, options, partition_by, sid, con)
    else:
        merged = mode in ("upsert", "append_once") and dataset_exists(str(target))
        frame_rows = None if merged else getattr(table, "num_rows", None)
        if merged:
            frame_rows = table.num_rows
            table, rows = _merge(table, target, fmt, mode, keys, options, con, where)
            _overwrite(table, target, fmt, options, partition_by, sid, con)
        else:
            rows = frame_rows = _overwrite(table, target, fmt, options, partition_by, sid, con)
    return WriteOutcome(rows_written=rows, location=str(target), mode=mode, frame_rows=frame_rows,
                        details={"format": fmt, "write_id": write_id, "layout": _layout(target)})


def _overwrite(table: Any, target: Path, fmt: str, options: Mapping[str, Any], partition_by: Sequence[str],
               sid: str, con: Any) -> int:
    if partition_by or target.is_dir():
        return replace_with_parts(table, target, fmt, options, partition_by, sid, con)
    counts: list[int] = []
    write_file_atomically(target, lambda stage: counts.append(encode(con, table, stage, fmt, options)))
    return counts[0]


def replace_with_parts(table: Any, target: Path, fmt: str, options: Mapping[str, Any], partition_by: Sequence[str],
                       sid: str, con: Any) -> int:
    """Replace the dataset at ``target`` (file or folder) by a folder of parts named ``part-<sid>`` in one swap;
    the caller holds the lock. Returns the rows written."""
    with staged(target, directory=True) as stage:
        rows = _encode_into(con, table, stage, fmt, options, partition_by, sid)
        commit(stage, target)
    return rows


def _append(table: Any, target: Path, fmt: str, options: Mapping[str, Any], partition_by: Sequence[str],
            sid: str, con: Any) -> int:
    part = f"part-{sid}.{PART_EXTENSION[fmt]}"
    if target.is_dir() and not partition_by:
        counts: list[int] = []
        write_file_atomically(target / part, lambda stage: counts.append(encode(con, table, stage, fmt, options)))
        return counts[0]
    with staged(target, directory=True) as stage:
        rows = _encode_into(con, table, stage, fmt, options, partition_by, sid)
        if target.is_dir():
            link_tree(target, stage, skip=lambda p: p.name.startswith((f"part-{sid}_", f"part-{sid}.")))
        elif target.is_file() and partition_by:
            old = read_location(str(target), fmt, read_options_for(fmt, options), con, str(target))
            encode(con, old, stage, fmt, options, partition_by=partition_by, pattern=f"{BASE_PART}_{{i}}")
        elif target.is_file():
            os.link(target, stage / f"{BASE_PART}.{PART_EXTENSION[fmt]}")
        commit(stage, target)
    return rows


def _encode_into(con: Any, table: Any, stage: Path, fmt: str, options: Mapping[str, Any],
                 partition_by: Sequence[str], sid: str) -> int:
    """Encode into a staged directory: hive folders, or one part file. Returns the rows written."""
    if partition_by:
        return encode(con, table, stage, fmt, options, partition_by=partition_by, pattern=f"part-{sid}_{{i}}")
    return encode(con, table, stage / f"part-{sid}.{PART_EXTENSION[fmt]}", fmt, options)


def _merge(table: Any, target: Path, fmt: str, mode: str, keys: Sequence[str], options: Mapping[str, Any],
           con: Any, where: str) -> tuple[Any, int]:
    """The existing rows combined with ``table`` by ``keys``; returns (all rows, rows written)."""
    existing = read_location(str(target), fmt, read_options_for(fmt, options), con, where)
    return merge_existing(existing, table, keys, mode, con, where, str(target))


def merge_existing(existing: Any, table: Any, keys: Sequence[str], mode: str, con: Any, where: str,
                   location: str) -> tuple[Any, int]:
    """``existing`` (read from ``location``) combined with ``table``; returns (all rows, rows written)."""
    if existing.num_rows == 0:  # an empty json-lines file has no columns to match on
        return table, table.num_rows
    missing = [k for k in keys if k not in existing.column_names]
    if missing:
        from ...errors import ExecutionError

        raise ExecutionError(f"{where}: key column(s) {missing} are not in the existing data at '{location}'; "
                             "fix the keys or overwrite the dataset once")
    return combine(con, existing, table, keys, mode)


def combine(con: Any, existing: Any, new: Any, keys: Sequence[str], mode: str) -> tuple[Any, int]:
    """Upsert (new rows replace rows with equal keys) or append_once (only rows with unseen keys)."""
    token = uuid.uuid4().hex
    old_name, new_name = f"_odibi_old_{token}", f"_odibi_new_{token}"
    con.register(old_name, existing)
    con.register(new_name, new)
    try:
        match = " AND ".join(f"o.{DUCKDB.ident(k)} IS NOT DISTINCT FROM n.{DUCKDB.ident(k)}" for k in keys)
        if mode == "upsert":
            sql = (f"SELECT o.* FROM {old_name} o WHERE NOT EXISTS (SELECT 1 FROM {new_name} n WHERE {match}) "
                   f"UNION ALL BY NAME SELECT * FROM {new_name}")
            return con.sql(sql).to_arrow_table(), new.num_rows
        fresh = con.sql(f"SELECT n.* FROM {new_name} n WHERE NOT EXISTS "
                        f"(SELECT 1 FROM {old_name} o WHERE {match})").to_arrow_table()
        con.register(new_name, fresh)
        combined = con.sql(f"SELECT * FROM {old_name} UNION ALL BY NAME SELECT * FROM {new_name}")
        return combined.to_arrow_table(), fresh.num_rows
    finally:
        con.unregister(old_name)
        con.unregister(new_name)


def read_options_for(fmt: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Reader options matching how the writer encoded the data."""
    if fmt == "csv":
        return {k: options[k] for k in ("header", "delimiter", "sep", "quote", "escape", "nullstr") if k in options}
    if fmt == "excel" and "sheet_name" in options:
        return {"sheet_name": options["sheet_name"]}
    return {}


def _layout(target: Path) -> str:
    return "parts" if target.is_dir() else "file"
