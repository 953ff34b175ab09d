"""Crash-safe replacement of a local dataset directory, with the embedded engine's conventions.

Spark writes a complete new dataset into the stage ``P/.T.tmp-<token>-<pid>@<host>`` next to the target
``T``; then ``T`` moves to ``P/.T.old``, the stage moves to ``T`` and ``.T.old`` is deleted, with the
folder fsynced between the renames. :func:`exclusive` holds the dataset's write lock (shared with the
embedded engine) and runs :func:`recover`, which finishes or undoes an interrupted swap and deletes the
stages of writers that are gone, with the same code as the embedded engine
(:mod:`odibi_provider.engines.atomic`), so either engine repairs the other's interrupted write. A killed
write leaves the previous complete data or the new complete data.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import (
    commit,
    data_files_under,
    exclusive,
    fsync_dir,
    fsync_tree,
    link_tree,
    old_path,
    recover,
    remove,
    staged,
)

__all__ = ["commit", "data_files_under", "exclusive", "fsync_dir", "fsync_tree", "is_local", "link_tree",
           "local_path", "name_parts", "old_path", "recover", "remove", "staged"]


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


def is_local(location: str) -> bool:
    """True for a path on this machine (no URL scheme, or ``file:``)."""
    return "://" not in location or location.startswith("file://")


def local_path(location: str) -> Path:
    return Path(location.removeprefix("file://"))
