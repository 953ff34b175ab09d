"""Read datasets on object stores (S3, Azure Blob/ADLS, GCS) for the embedded engine.

A file dataset at ``T`` is laid out as on local disk, with one rule that makes every write a single
atomic step (see :mod:`.remote_writer`): **when an object ``T`` exists it is the dataset**; otherwise
the dataset is the data files under ``T/`` (part files, hive folders), skipping names that start
with ``.`` or ``_``. A glob names its files directly.

csv / json / parquet are read by DuckDB through the connection's fsspec filesystem, registered on
the engine's database under a protocol of its own (``odibi-<kind>-<token>://bucket/key``), so two
connections to one store with different credentials never share a filesystem and the scan can stay
lazy. Excel files are downloaded and read by openpyxl; Delta tables by deltalake with the
connection's storage options.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Mapping
from typing import Any

from ...errors import ExecutionError, OdibiError
from .files import EXTENSIONS, is_glob
from .readers import read_delta, read_files

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOCK = threading.Lock()
_WRAPPED: dict[str, Any] = {}  # protocol -> the filesystem registered under it


def read_remote(connection: Any, location: str, fmt: str, options: Mapping[str, Any], con: Any,
                where: str) -> Any:
    """Read the dataset at ``location`` (a URL from ``connection.resolve``) into Arrow."""
    try:
        if fmt == "delta":
            return read_delta(location, options, connection.storage_options(), where)
        files = data_files(connection, location, fmt, where)
        if fmt == "excel":
            fs = connection.filesystem()
            return read_files([io.BytesIO(fs.cat_file(f)) for f in files], fmt, options, con, where)
        return read_files(duckdb_urls(con, connection, files), fmt, options, con, where)
    except OdibiError as exc:
        if connection.scrub(str(exc)) == str(exc):
            raise
        raise ExecutionError(connection.scrub(str(exc))) from None
    except Exception as exc:  # noqa: BLE001 (reported with context, secrets removed)
        raise ExecutionError(f"{where}: cannot read '{location}': {_detail(connection, exc)}") from None


def scan_remote(connection: Any, location: str, fmt: str, options: Mapping[str, Any], con: Any,
                where: str) -> str:
    """The DuckDB query that scans the csv/json/parquet dataset at ``location`` lazily."""
    try:
        files = data_files(connection, location, fmt, where)
        return str(read_files(duckdb_urls(con, connection, files), fmt, options, None, where))
    except OdibiError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ExecutionError(f"{where}: cannot read '{location}': {_detail(connection, exc)}") from None


def data_files(connection: Any, location: str, fmt: str, where: str) -> list[str]:
    """The fsspec paths of the data files of the dataset at ``location``; raises when there are none."""
    fs = connection.filesystem()
    key = connection.fs_path(location)
    extensions = EXTENSIONS[fmt]
    if is_glob(key):
        found = fs.glob(key, detail=True)
        files = sorted(p for p, info in found.items()
                       if info.get("type") == "file" and not _hidden(p.rsplit("/", 1)[-1]))
    elif fs.isfile(key):
        return [key]
    else:
        files = [p for p in parts(fs, key) if p.lower().endswith(extensions)]
        if not files and not fs.exists(key):
            raise ExecutionError(f"{where}: '{location}' does not exist; check the path and the connection's "
                                 "prefix, or run the node that writes it first")
    if not files:
        raise ExecutionError(f"{where}: no {fmt} files ({', '.join(extensions)}) at '{location}'; "
                             "check the path and the format")
    return files


def parts(fs: Any, key: str) -> list[str]:
    """Every data file below the folder ``key/`` (hidden and ``_`` names, at any depth, skipped).

    Lists the parent with a name prefix: ``find(key)`` itself stops at an object named ``key`` (adlfs),
    which may exist next to the folder while a write is in flight.
    """
    root = key.rstrip("/") + "/"
    parent, _, name = root[:-1].rpartition("/")
    try:
        found = fs.find(parent, prefix=f"{name}/") if parent else fs.find(root)
    except FileNotFoundError:
        return []
    return sorted(p for p in found if p.startswith(root)
                  and not any(_hidden(segment) for segment in p[len(root):].split("/")))


def dataset_exists(connection: Any, location: str, fmt: str) -> bool:
    """True when the file dataset at ``location`` has data (an object ``T`` or data files under ``T/``)."""
    fs = connection.filesystem()
    key = connection.fs_path(location)
    return bool(fs.isfile(key) or [p for p in parts(fs, key) if p.lower().endswith(EXTENSIONS[fmt])])


def duckdb_urls(con: Any, connection: Any, files: list[str]) -> list[str]:
    """``files`` as URLs DuckDB opens through ``connection``'s filesystem (registered on ``con``)."""
    protocol = register(con, connection)
    return [f"{protocol}://{path}" for path in files]


def register(con: Any, connection: Any) -> str:
    """Register ``connection``'s filesystem on ``con``'s database (once) and return its protocol."""
    name = protocol(connection)
    with _LOCK:
        if name not in _WRAPPED:
            _WRAPPED[name] = _wrap(connection.filesystem(), name)
        if name not in con.list_filesystems():
            try:
                con.register_filesystem(_WRAPPED[name])
            except Exception:  # another cursor of the same database registered it first
                if name not in con.list_filesystems():
                    raise
    return name


def protocol(connection: Any) -> str:
    """The protocol ``connection``'s filesystem answers to in DuckDB (one per connection settings)."""
    return f"odibi-{connection.scheme}-{connection.token}"


def _wrap(fs: Any, protocol: str) -> Any:
    """A copy of ``fs`` answering to ``protocol`` only (DuckDB routes paths by protocol)."""
    cls = type(f"Odibi{type(fs).__name__}", (type(fs),), {"protocol": (protocol,)})
    return cls(*fs.storage_args, **fs.storage_options, skip_instance_cache=True)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def error_detail(connection: Any, exc: BaseException) -> str:
    """One line for an object-store error: its cause chain (deltalake's ``↳`` lines), no XML bodies,
    no colour codes, at most 400 characters, and no secret of ``connection``."""
    lines = [line.strip().lstrip("↳").strip() for line in _ANSI.sub("", str(exc)).splitlines()]
    kept = [line for line in lines if line and not line.startswith("<")][:4]
    detail = " <- ".join(kept) if kept else type(exc).__name__
    return connection.scrub(detail if len(detail) <= 400 else detail[:397] + "...")


def _detail(connection: Any, exc: BaseException) -> str:
    return error_detail(connection, exc) if str(exc).strip() else type(exc).__name__
