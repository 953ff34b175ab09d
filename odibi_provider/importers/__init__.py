"""Importers of the seed systems' project formats into the provider's project tree.

``detect(path)`` tells an odibi_de_v2 ``manifest.json`` or an ODIBI CORE Step list (JSON, CSV, SQLite) from
a project YAML; ``load(path)`` returns the same located tree the YAML loader builds, so substitution,
environment overlays, validation, the Plan, Dagster and Airflow treat it exactly like YAML, and every problem
points at the source file and row. Standard library and pydantic only (SQLAlchemy for a registry in a SQL
table, imported when used).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..errors import Problem
from . import core_steps, de_v2
from ._tree import Collector
from .result import Imported

FORMATS: dict[str, tuple[Callable[[Path], bool], Callable[[Path, Collector], Imported | None]]] = {
    "odibi_de_v2": (de_v2.is_manifest, de_v2.load),
    "odibi_core": (core_steps.is_step_list, core_steps.load),
}
YAML_SUFFIXES = (".yaml", ".yml")

__all__ = ["FORMATS", "Imported", "detect", "folder_project", "load"]


def detect(path: Path) -> str | None:
    """The seed format of the file at ``path`` (``odibi_de_v2``, ``odibi_core``), or None for YAML."""
    if path.suffix in YAML_SUFFIXES or not path.is_file():
        return None
    for name, (matches, _) in FORMATS.items():
        try:
            if matches(path):
                return name
        except (OSError, ValueError, sqlite3.Error):  # unreadable, or not a database: the YAML loader says so
            continue
    return None


def folder_project(folder: Path) -> Path | None:
    """A seed project in ``folder`` (checked after the YAML names): its ``manifest.json``."""
    manifest = folder / de_v2.MANIFEST
    return manifest if manifest.is_file() else None


def load(path: Path, fmt: str, problems: list[Problem]) -> Imported | None:
    """Import the ``fmt`` project at ``path``; problems found are appended to ``problems``."""
    sink = Collector()
    imported = FORMATS[fmt][1](path, sink)
    problems.extend(sink.problems)
    return imported
