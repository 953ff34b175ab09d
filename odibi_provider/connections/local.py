"""The ``local`` connection: files under a base folder on this machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ExecutionError


class LocalConnection:
    """Files under ``base_path``; a relative ``base_path`` is relative to the project folder.

    ``resolve`` is lexical (``..`` is collapsed, symlinks are not followed), so a dataset path can
    never name a location outside the base folder.
    """

    is_local = True

    def __init__(self, name: str, base_path: str | Path, project_dir: str | Path) -> None:
        self.name = name
        base = Path(base_path).expanduser()
        if not base.is_absolute():
            base = Path(project_dir) / base
        self.base_path = Path(os.path.abspath(base))

    def resolve(self, path: str) -> str:
        """The absolute location of ``path`` inside the base folder (globs are kept as written)."""
        target = os.path.normpath(os.path.join(self.base_path, os.path.expanduser(str(path or "."))))
        base = str(self.base_path)
        if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
            raise ExecutionError(
                f"connection '{self.name}': path '{path}' resolves to '{target}', outside the connection's "
                f"base_path '{base}'; use a path relative to base_path without '..', or point a connection "
                "at that folder")
        return target

    def filesystem(self) -> Any:
        """The fsspec ``LocalFileSystem`` (fsspec is imported on first use)."""
        from ..extras import require

        return require("fsspec.implementations.local", purpose="file system access").LocalFileSystem()

    def storage_options(self) -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return f"LocalConnection(name={self.name!r}, base_path={str(self.base_path)!r})"
