"""Crash-safe replacement of files and directories on a local file system.

For a target ``T`` in folder ``P`` every staged object is a sibling, so renames never cross file
systems:

* New data is staged as ``P/.T.tmp-<token>`` (a file, or a directory of files), then every staged
  file and directory is fsynced.
* A file replacing a file (or nothing) is one ``os.replace`` followed by an fsync of ``P``.
* A directory replacing anything, or a file replacing a directory, is a swap:
  1. rename ``T`` to ``P/.T.old`` and fsync ``P``;  2. rename the stage to ``T`` and fsync ``P``;
  3. delete ``P/.T.old``.
* Recovery (:func:`recover`, run before every write): ``.T.old`` next to an existing ``T`` means step 3
  was interrupted, so ``.T.old`` is deleted; ``.T.old`` without ``T`` means the swap stopped between
  1 and 2, so ``.T.old`` is renamed back to ``T`` (the previous complete data). Leftover stages
  ``.T.tmp-*`` next to ``T`` and ``.<part>.tmp-*`` inside a folder dataset (a killed append's part) are
  incomplete and are deleted once their writer is provably gone (see :func:`stage_is_dead`).
* Stage names carry the writer: ``.T.tmp-<token>-<pid>@<host>``. A stage whose process still runs on
  this host, or that was made on another host, is never touched; one without a writer tag was made by
  an older version and is deleted.
* Writers of a dataset hold its lock (:func:`exclusive`, :mod:`.locks`) around recovery and the whole
  write, so concurrent writers serialise instead of losing each other's rows.
* Readers never change anything: :func:`readable` reads ``.T.old`` while ``T`` is missing, which is
  exactly what recovery would restore.

A killed write therefore leaves the previous complete data or the new complete data.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .locks import dataset_lock, owner_tag, stage_owner_alive

TMP_MARK = ".tmp-"
_STAGE = re.compile(r"^\.(?P<name>.+)\.tmp-[0-9a-f]{12}-(?P<owner>\d+@[A-Za-z0-9._-]+)$")


def old_path(target: Path) -> Path:
    return target.parent / f".{target.name}.old"


def readable(target: Path) -> Path:
    """``target``, or its ``.old`` copy when a swap was interrupted before the new data moved in."""
    if not target.exists():
        old = old_path(target)
        if old.exists():
            return old
    return target


@contextmanager
def exclusive(target: Path, *, write_id: str) -> Iterator[None]:
    """Hold the write lock of the dataset at ``target`` and recover it: the frame of every file write."""
    with dataset_lock(target, write_id=write_id):
        recover(target)
        yield


def recover(target: Path) -> None:
    """Finish or undo an interrupted swap of ``target`` and delete the stages of writers that are gone."""
    parent, old = target.parent, old_path(target)
    if not parent.is_dir():
        return
    if old.exists():
        if target.exists():
            remove(old)
        else:
            os.rename(old, target)
            fsync_dir(parent)
    prefix = f".{target.name}{TMP_MARK}"
    for leftover in parent.iterdir():
        if leftover.name.startswith(prefix) and stage_is_dead(leftover.name):
            remove(leftover)
    if target.is_dir() and not target.is_symlink():
        for leftover in target.iterdir():  # the stages of killed appends of a part file
            if leftover.name.startswith(".") and TMP_MARK in leftover.name and stage_is_dead(leftover.name):
                remove(leftover)


def stage_is_dead(name: str) -> bool:
    """Whether the stage called ``name`` provably has no live writer: its writer's process is gone from
    this host, or it has no writer tag (made by a version that wrote none)."""
    match = _STAGE.match(name)
    if match is None:
        return True
    return stage_owner_alive(match["owner"]) is False


@contextmanager
def staged(target: Path, *, directory: bool = False) -> Iterator[Path]:
    """A fresh stage next to ``target``, named after this process; removed again if the block raises."""
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.parent / f".{target.name}{TMP_MARK}{uuid.uuid4().hex[:12]}-{owner_tag()}"
    if directory:
        stage.mkdir()
    try:
        yield stage
    except BaseException:
        remove(stage)
        raise


def commit(stage: Path, target: Path) -> None:
    """Make the completed ``stage`` the new ``target``, crash-safely (see the module docstring)."""
    fsync_tree(stage)
    parent = target.parent
    if stage.is_file() and not target.is_dir():
        os.replace(stage, target)
        fsync_dir(parent)
        return
    old = old_path(target)
    if target.exists() or target.is_symlink():
        remove(old)
        os.rename(target, old)
        fsync_dir(parent)
    os.rename(stage, target)
    fsync_dir(parent)
    remove(old)


def write_file_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(stage_path)`` and move the finished file into place with one rename."""
    with staged(target) as stage:
        write(stage)
        commit(stage, target)


def link_tree(source: Path, dest: Path, *, skip: Callable[[Path], bool] = lambda p: False) -> int:
    """Hard-link (or copy) every data file under ``source`` into ``dest``; returns the files linked."""
    count = 0
    for path in data_files_under(source):
        if skip(path):
            continue
        out = dest / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, out)
        except OSError:
            shutil.copy2(path, out)
        count += 1
    return count


def data_files_under(root: Path) -> list[Path]:
    """Every file under ``root``, skipping hidden and ``_``-prefixed names (stages, logs, markers)."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found.extend(Path(folder) / f for f in sorted(files) if not f.startswith((".", "_")))
    return found


def fsync_tree(path: Path) -> None:
    """fsync ``path``; for a directory, every file and directory below it too."""
    if path.is_dir():
        for folder, _dirs, files in os.walk(path, topdown=False):
            for name in files:
                _fsync(Path(folder) / name)
            fsync_dir(Path(folder))
    else:
        _fsync(path)


def fsync_dir(path: Path) -> None:
    """fsync a directory so renames inside it are durable (a no-op where not supported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    """Delete a file or directory tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)
