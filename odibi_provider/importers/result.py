"""What an importer returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..manifest.yaml_source import LocDict


@dataclass(frozen=True)
class Imported:
    """A project tree located in its source files; ``cacheable`` is False when rows came from a database
    (a cached Plan could not tell that they changed)."""

    data: LocDict
    files: tuple[Path, ...]
    cacheable: bool = True
