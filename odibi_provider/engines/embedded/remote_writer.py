"""Write csv / json-lines / parquet / excel datasets to object stores atomically and idempotently.

Why this is atomic: an object store has no rename, but a single object PUT is all-or-nothing. A
reader sees the previous object or the new one, never part of it: an S3 PutObject (and a multipart
upload, which appears only at CompleteMultipartUpload), an Azure block blob Put Blob (and Put Block
List, which commits the staged blocks in one step) and a GCS upload (visible when the final request
completes) all replace the object in one step. So every write encodes the complete file into a local
temporary file first (DuckDB COPY, or openpyxl) and then uploads it to its final key in one put; a
failure before or during the upload leaves the previous object untouched.

With the layout rule of :mod:`.remote` (an object ``T``, when present, is the whole dataset) each
mode has exactly one commit point:

* overwrite (and the replace after an upsert / append_once merge): PUT ``T``. Part files left under
  ``T/`` by earlier appends are hidden from then on and deleted afterwards (best effort: the write
  is already committed, and the next write's recovery deletes what is left).
* append: PUT ``T/part-<write id>.<ext>``; re-running a write id re-puts the same key, so rows are
  never added twice. The first append to a one-object dataset copies ``T`` to
  ``T/part-00000-base.<ext>``, puts its part, then deletes ``T``: the delete is the commit point.
* before every write, part files next to an existing ``T`` (an interrupted overwrite or first
  append) are deleted: ``T`` is what readers see, so nothing committed is lost.

A partitioned (``partition_by``) file dataset is many objects that no single put can replace, so it
is refused on object stores: write ``format: delta`` there (one commit per write).

Concurrent writers: an object store has no lock file, so a file dataset there has **one writer at a
time** (use ``format: delta`` for concurrent writers: its commits are conditional). A conflict is
detected rather than lost: an upsert / append_once notes the dataset's version (the object's etag or
mtime and size, and its part files) before it reads, and checks it again just before its upload; if
another writer committed in between, the write fails naming the target and is retryable.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import ExecutionError
from ..base import WriteOutcome
from ..writes import safe_id
from .encode import encode
from .engine import staging_folder
from .file_writer import BASE_PART, merge_existing, read_options_for
from .files import EXTENSIONS, PART_EXTENSION
from .remote import dataset_exists, parts, read_remote

log = logging.getLogger("odibi_provider.engines.embedded")


def write_remote_files(table: Any, connection: Any, location: str, fmt: str, mode: str, keys: Sequence[str],
                       options: Mapping[str, Any], partition_by: Sequence[str], *, write_id: str, con: Any,
                       where: str) -> WriteOutcome:
    """Write ``table`` to the file dataset at ``location`` (a URL from ``connection.resolve``) in ``mode``."""
    if partition_by:
        raise ExecutionError(
            f"{where}: partition_by is not supported for {fmt} on an object store: a partitioned dataset is "
            "many objects, which an object store cannot replace in one step; use format delta (one atomic "
            "commit per write) or drop partition_by")
    fs, key = connection.filesystem(), connection.fs_path(location)
    _recover(fs, key, fmt)
    if mode == "append":
        rows = frame_rows = _append(table, fs, key, fmt, options, safe_id(write_id), con)
    elif mode in ("upsert", "append_once") and dataset_exists(connection, location, fmt):
        frame_rows = table.num_rows
        before = version(fs, key)
        existing = read_remote(connection, location, fmt, read_options_for(fmt, options), con, where)
        table, rows = merge_existing(existing, table, keys, mode, con, where, location)
        if version(fs, key) != before:
            raise ExecutionError(
                f"{where}: '{location}' changed while this {mode} ({write_id}) was merging it: another writer "
                "committed in between, and its rows would be lost. A file dataset on an object store has one "
                "writer at a time: run this write again once the other has finished, or use format delta for "
                "concurrent writers", retryable=True)
        _overwrite(table, fs, key, fmt, options, con)
    else:
        rows = frame_rows = _overwrite(table, fs, key, fmt, options, con)
    layout = "file" if fs.isfile(key) else "parts"
    return WriteOutcome(rows_written=rows, location=location, mode=mode, frame_rows=frame_rows,
                        details={"format": fmt, "write_id": write_id, "layout": layout})


def _overwrite(table: Any, fs: Any, key: str, fmt: str, options: Mapping[str, Any], con: Any) -> int:
    rows = upload(con, table, fs, key, fmt, options)  # the commit point: readers now see only T
    try:
        _remove(fs, _stale_parts(fs, key, fmt))
    except Exception as exc:  # noqa: BLE001 (committed; the next write's recovery deletes them)
        log.warning("the write to %s is committed, but removing the part files it replaced failed "
                    "(they stay hidden and the next write removes them): %s", key, type(exc).__name__)
    return rows


def _append(table: Any, fs: Any, key: str, fmt: str, options: Mapping[str, Any], sid: str, con: Any) -> int:
    ext = PART_EXTENSION[fmt]
    part = f"{key}/part-{sid}.{ext}"
    if not fs.isfile(key):
        return upload(con, table, fs, part, fmt, options)  # the commit point (the same key on a re-run)
    fs.copy(key, f"{key}/{BASE_PART}.{ext}")
    rows = upload(con, table, fs, part, fmt, options)
    fs.rm_file(key)  # the commit point: readers switch from T to its parts
    return rows


def upload(con: Any, table: Any, fs: Any, key: str, fmt: str, options: Mapping[str, Any]) -> int:
    """Encode ``table`` completely into a local temporary file, then put it at ``key`` in one upload."""
    with tempfile.TemporaryDirectory(prefix="odibi-upload-", dir=staging_folder(con)) as folder:
        local = Path(folder) / f"data.{PART_EXTENSION[fmt]}"
        rows = encode(con, table, local, fmt, options)
        fs.put_file(str(local), key)
    return rows


def version(fs: Any, key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What identifies the dataset's committed content: the object ``key`` (etag, else mtime and size) and
    the part files under ``key/``."""
    fs.invalidate_cache(key)
    try:
        info = fs.info(key)
    except FileNotFoundError:
        info = {}
    stamp: tuple[str, ...] = ()
    if info.get("type") == "file":
        stamp = tuple(f"{k}={info[k]}" for k in ("ETag", "etag", "last_modified", "LastModified", "mtime", "size")
                      if info.get(k) is not None)
    return stamp, tuple(parts(fs, key))


def _recover(fs: Any, key: str, fmt: str) -> None:
    """Delete part files hidden by an object ``T`` (left by an interrupted overwrite or first append)."""
    if fs.isfile(key):
        _remove(fs, _stale_parts(fs, key, fmt))


def _stale_parts(fs: Any, key: str, fmt: str) -> list[str]:
    return [p for p in parts(fs, key) if p.lower().endswith(EXTENSIONS[fmt])]


def _remove(fs: Any, paths: list[str]) -> None:
    if paths:
        fs.rm(paths)
