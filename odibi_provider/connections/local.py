"""The ``local`` connection: files under a base folder on this machine."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

from ..errors import ExecutionError


class LocalConnection:
    """Files under ``base_path``; a relative ``base_path`` is relative to the project folder.

    ``resolve`` collapses ``..`` and then checks the real location (symlinks followed, glob matches
    included), so neither a path nor a symlink inside the base folder can name a location outside it.
    """

    is_local = True

    def __init__(self, name: str, base_path: str | Path, project_dir: str | Path) -> None:
        self.name = name
        base = Path(base_path).expanduser()
        if not base.is_absolute():
            base = Path(project_dir) / base
        self.base_path = Path(os.path.abspath(base))

    def resolve(self, path: str) -> str:
        """The absolute location of ``path`` inside the base folder (globs are kept as written).

        Raises ExecutionError when ``path``, a symlink on its way or a file its glob matches leads
        outside the base folder.
        """
        target = os.path.normpath(os.path.join(self.base_path, os.path.expanduser(str(path or "."))))
        base = str(self.base_path)
        if not _inside(target, base):
            raise ExecutionError(
                f"connection '{self.name}': path '{path}' resolves to '{target}', outside the connection's "
                f"base_path '{base}'; use a path relative to base_path without '..', or point a connection "
                "at that folder")
        real_base = os.path.realpath(base)
        for candidate in [target, *(glob.glob(target, recursive=True) if glob.has_magic(target) else ())]:
            real = os.path.realpath(candidate)
            if not _inside(real, real_base):
                raise ExecutionError(
                    f"connection '{self.name}': path '{path}' leads through a symlink to '{real}', outside the "
                    f"connection's base_path '{base}'; replace the symlink with the data, or point a "
                    "connection at that folder")
        return target

    @property
    def roots(self) -> tuple[str, ...]:
        """The base folder as written and as it really is (symlinks followed)."""
        return tuple(dict.fromkeys((str(self.base_path), os.path.realpath(self.base_path))))

    def filesystem(self) -> Any:
        """The fsspec ``LocalFileSystem`` (fsspec is imported on first use)."""
        from ..extras import require

        return require("fsspec.implementations.local", purpose="file system access").LocalFileSystem()

    def storage_options(self) -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return f"LocalConnection(name={self.name!r}, base_path={str(self.base_path)!r})"


def _inside(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)
