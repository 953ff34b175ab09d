"""Store: where odibi keeps its own files (run state, incremental marks, stories, intermediates, plan cache).

A :class:`Store` is one location: a folder or file on this machine, or an fsspec URL
(``s3://bucket/prefix/...``, ``abfs://container/prefix/...``, ``gs://...``) together with the filesystem of
the connection it came from. Every write is all or nothing, so a reader (another host process, the HTML
renderer, ``resume``) sees the previous content or the new content, never part of one:

* local: the content is staged next to the target, fsynced and renamed into place
  (:mod:`odibi_provider.engines.atomic`, the one module that renames);
* object store: the complete content is uploaded as one object (one PUT, or a multipart upload that
  becomes visible only when it completes).

Where a location string is all a caller has (a node's ``story_path``, an intermediate location),
:meth:`Store.locate` gives it back its store: a URL under a remote store opened in this process uses that
store's filesystem (and so the connection's credentials and endpoint).

Standard library only at import (the plan cache uses it too); :mod:`odibi_provider.engines.atomic` loads on
the first local write, fsspec through :func:`odibi_provider.extras.require` when a URL needs a filesystem no
connection gave.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import posixpath
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import OdibiError

FILE_SCHEME = "file://"

# root URL -> filesystem of every remote store opened in this process (see Store.locate)
_opened: dict[str, Any] = {}
_opened_lock = threading.Lock()


class StoreError(OdibiError):
    """A store location cannot be used the way it was asked (a local path of a remote store, a bad part)."""


@dataclass(frozen=True, slots=True)
class Store:
    """A location for odibi's own files; ``fs`` is the fsspec filesystem of a remote store, None when local.

    Build one with :meth:`local`, :meth:`remote`, :meth:`of_connection` or :meth:`locate`; derive locations
    below it with :meth:`child`.
    """

    uri: str
    fs: Any = field(default=None, compare=False, repr=False)

    # --- building ---------------------------------------------------------------------------------------

    @classmethod
    def local(cls, path: str | Path) -> Store:
        """A location on this machine (made absolute, ``..`` collapsed)."""
        text = os.fspath(path)
        return cls(os.path.abspath(os.path.expanduser(text.removeprefix(FILE_SCHEME))))

    @classmethod
    def remote(cls, url: str, filesystem: Any) -> Store:
        """``url`` (``scheme://...``) on ``filesystem``; :meth:`locate` finds it again for URLs below it."""
        if "://" not in url:
            raise StoreError(f"'{url}' is not a URL; a remote store needs scheme://bucket/path")
        url = url.rstrip("/")
        with _opened_lock:
            _opened[url] = filesystem
        return cls(url, filesystem)

    @classmethod
    def of_connection(cls, connection: Any, path: str) -> Store:
        """``path`` under a file connection (``local``, ``s3``, ``azure_blob``/``azure_adls``, ``gcs``)."""
        resolve = getattr(connection, "resolve", None)
        if resolve is None:
            raise StoreError(f"connection '{getattr(connection, 'name', connection)}' is not a file store; "
                             "use a local, s3, azure_blob, azure_adls or gcs connection")
        location = resolve(path)
        if getattr(connection, "is_local", True):
            return cls.local(location)
        return cls.remote(location, connection.filesystem())

    @classmethod
    def locate(cls, location: str | Path | Store) -> Store:
        """The store of a location string: a local path (or ``file://``), or a URL.

        A URL below a remote store opened in this process gets that store's filesystem; any other URL
        gets fsspec's default filesystem for its scheme (credentials from the environment).
        """
        if isinstance(location, Store):
            return location
        text = os.fspath(location)
        if "://" not in text or text.startswith(FILE_SCHEME):
            return cls.local(text)
        url = text.rstrip("/")
        with _opened_lock:
            roots = [root for root in _opened if url == root or url.startswith(root + "/")]
            filesystem = _opened[max(roots, key=len)] if roots else None
        if filesystem is None:
            from .extras import require

            fsspec = require("fsspec", extra="cloud", purpose=f"reading '{url}'")
            filesystem = fsspec.core.url_to_fs(url)[0]
        return cls(url, filesystem)

    # --- naming -----------------------------------------------------------------------------------------

    @property
    def is_local(self) -> bool:
        return self.fs is None

    @property
    def name(self) -> str:
        return posixpath.basename(self.uri) if not self.is_local else os.path.basename(self.uri)

    @property
    def path(self) -> str:
        """The filesystem path: the local path, or the fsspec path (the URL without its scheme)."""
        return self.uri if self.is_local else self.uri.split("://", 1)[1]

    @property
    def url(self) -> str:
        """A link to this location: ``file:///...`` when local, else the URL."""
        return Path(self.uri).as_uri() if self.is_local else self.uri

    @property
    def parent(self) -> Store:
        if self.is_local:
            return Store(os.path.dirname(self.uri))
        scheme, rest = self.uri.split("://", 1)
        return Store(f"{scheme}://{posixpath.dirname(rest) or rest}", self.fs)

    def child(self, *parts: str) -> Store:
        """The location ``parts`` below this one (each part may hold ``/``; no ``..``, no absolute parts)."""
        names = [name for part in parts for name in str(part).replace("\\", "/").split("/") if name not in ("", ".")]
        if ".." in names or any(str(p).startswith(("/", "\\")) or "://" in str(p) for p in parts):
            raise StoreError(f"'{'/'.join(map(str, parts))}' must be a relative path below {self.uri}, without '..'")
        if not names:
            return self
        if self.is_local:
            return Store(os.path.join(self.uri, *names))
        return Store("/".join([self.uri, *names]), self.fs)

    def relative_to(self, other: Store) -> str:
        """This location as a ``/``-separated path below ``other``; StoreError when it is not below it."""
        base = other.uri.rstrip("/\\")
        sep = os.sep if self.is_local else "/"
        if self.uri == base:
            return ""
        if not self.uri.startswith(base + sep) or self.is_local != other.is_local:
            raise StoreError(f"{self.uri} is not below {other.uri}")
        return self.uri[len(base) + 1:].replace(os.sep, "/")

    def local_path(self) -> Path:
        """The path on this machine; StoreError for a remote store (use the store's read/write methods)."""
        if not self.is_local:
            raise StoreError(f"{self.uri} is not on this machine; read and write it through its Store")
        return Path(self.uri)

    # --- reading ----------------------------------------------------------------------------------------

    def exists(self) -> bool:
        if self.is_local:
            return os.path.lexists(self.uri)
        return bool(self.fs.exists(self.path))

    def read_bytes(self) -> bytes:
        """The content; FileNotFoundError when there is none."""
        if self.is_local:
            return Path(self.uri).read_bytes()
        return bytes(self.fs.cat_file(self.path))

    def read_text(self) -> str:
        return self.read_bytes().decode("utf-8")

    def read_json(self) -> Any:
        return json.loads(self.read_bytes())

    def glob(self, pattern: str = "*") -> list[Store]:
        """The entries directly below this location whose names match ``pattern``, sorted by name.

        Hidden names (stages of writes in progress) are left out; a missing location has no entries.
        """
        if self.is_local:
            try:
                names = os.listdir(self.uri)
            except (FileNotFoundError, NotADirectoryError):
                return []
        else:
            try:
                names = [posixpath.basename(p.rstrip("/")) for p in self.fs.ls(self.path, detail=False)]
            except FileNotFoundError:
                return []
        return [self.child(n) for n in sorted(set(names)) if not n.startswith(".") and fnmatch.fnmatchcase(n, pattern)]

    def modified(self) -> float | None:
        """When this file, or the newest file below this folder, was last written (a POSIX time); None
        when there is nothing here."""
        if self.is_local:
            times = [os.lstat(self.uri).st_mtime] if os.path.isfile(self.uri) else [
                os.lstat(os.path.join(folder, name)).st_mtime
                for folder, _, names in os.walk(self.uri) for name in names]
            return max(times, default=None) if times or os.path.lexists(self.uri) else None
        try:
            found = self.fs.find(self.path, detail=True)
        except FileNotFoundError:
            return None
        times = [t for info in found.values() if (t := _info_time(info)) is not None]
        return max(times, default=None)

    # --- writing ----------------------------------------------------------------------------------------

    def write_with(self, write: Callable[[Path], None]) -> Store:
        """Call ``write(path)`` to build the complete file at a local ``path``, then make it this location.

        Local: ``path`` is a stage next to the target, renamed into place (deleted if ``write`` raises).
        Remote: ``path`` is in a temporary folder and is uploaded as one object.
        """
        if self.is_local:
            from .engines.atomic import write_file_atomically

            write_file_atomically(Path(self.uri), write)
            return self
        with tempfile.TemporaryDirectory(prefix="odibi-store-") as folder:
            staged = Path(folder) / (self.name or "object")
            write(staged)
            self.fs.put_file(str(staged), self.path)
        return self

    def write_bytes(self, data: bytes) -> Store:
        if self.is_local:

            def write(path: Path) -> None:
                path.write_bytes(data)

            return self.write_with(write)
        self.fs.pipe_file(self.path, bytes(data))
        return self

    def write_text(self, text: str) -> Store:
        return self.write_bytes(text.encode("utf-8"))

    def write_json(self, data: Any, *, indent: int | None = 2) -> Store:
        """``data`` as JSON (values JSON does not know become strings), replacing what was there."""
        text = json.dumps(data, indent=indent, default=str, ensure_ascii=False)
        return self.write_text(text + "\n" if indent is not None else text)

    def delete(self) -> None:
        """Delete the file or everything below this location (nothing happens when it does not exist)."""
        if self.is_local:
            from .engines.atomic import remove

            remove(Path(self.uri))
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.path, recursive=True)

    def __str__(self) -> str:
        return self.uri

    def __fspath__(self) -> str:
        """Local stores pass for paths (``Path(store)``); a remote store refuses (StoreError)."""
        return str(self.local_path())


def _info_time(info: Mapping[str, Any]) -> float | None:
    """The modification time in an fsspec ``info`` entry (s3fs, adlfs, gcsfs and local spell it differently)."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
        value = info.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, str) and value:
            with contextlib.suppress(ValueError):
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return None


def as_store(location: str | Path | Store) -> Store:
    """``location`` as a Store (see :meth:`Store.locate`)."""
    return Store.locate(location)
