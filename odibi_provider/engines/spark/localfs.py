"""Crash-safe replacement of a local dataset directory, with the embedded engine's conventions.

Spark writes a complete new dataset into the stage ``P/.T.tmp-<token>`` next to the target ``T``; then
``T`` moves to ``P/.T.old``, the stage moves to ``T`` and ``.T.old`` is deleted, with the folder
fsynced between the renames. :func:`recover` (run before each write) finishes or undoes an interrupted
swap exactly as the embedded engine's ``atomic.recover`` does, so either engine can repair the other's
interrupted write. A killed write leaves the previous complete data or the new complete data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_MARK = ".tmp-"


def old_path(target: Path) -> Path:
    return target.parent / f".{target.name}.old"


def recover(target: Path) -> None:
    """Finish or undo an interrupted swap of ``target`` and delete incomplete stages."""
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
        if leftover.name.startswith(prefix):
            remove(leftover)


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A fresh (not yet existing) stage path next to ``target``; removed again if the block raises."""
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.parent / f".{target.name}{TMP_MARK}{uuid.uuid4().hex[:12]}"
    try:
        yield stage
    except BaseException:
        remove(stage)
        raise


def commit(stage: Path, target: Path) -> None:
    """Make the completed ``stage`` directory the new ``target`` (see the module docstring)."""
    fsync_tree(stage)
    parent, old = target.parent, old_path(target)
    if target.exists() or target.is_symlink():
        remove(old)
        os.rename(target, old)
        fsync_dir(parent)
    os.rename(stage, target)
    fsync_dir(parent)
    remove(old)


def name_parts(stage: Path, sid: str) -> int:
    """Rename Spark's part files under ``stage`` to ``part-<sid>_<n><ext>`` (so a retried append can find
    and replace its own files) and delete Spark's markers and checksums; returns the parts kept."""
    count = 0
    for folder, dirs, files in os.walk(stage):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith((".", "_")):
                path.unlink()
                continue
            path.rename(path.with_name(f"part-{sid}_{count}{''.join(path.suffixes)}"))
            count += 1
    return count


def link_tree(source: Path, dest: Path, *, skip: Callable[[Path], bool]) -> int:
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
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found.extend(Path(folder) / f for f in sorted(files) if not f.startswith((".", "_")))
    return found


def fsync_tree(path: Path) -> None:
    """fsync every file and directory below ``path``."""
    for folder, _dirs, files in os.walk(path, topdown=False):
        for name in files:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


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


def remove(path: Path) -> None:
    """Delete a file or directory tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def is_local(location: str) -> bool:
    """True for a path on this machine (no URL scheme, or ``file:``)."""
    return "://" not in location or location.startswith("file://")


def local_path(location: str) -> Path:
    return Path(location.removeprefix("file://"))
