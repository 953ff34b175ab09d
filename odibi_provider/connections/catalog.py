"""The Delta catalog connection (Odibi's ``type: delta`` with ``catalog``/``schema``), opened as files.

Table ``T`` of catalog ``C``, schema ``S`` is the Delta table at ``<root>/C/S/T`` (the Plan already holds
``C/S/T`` as the dataset's path, see ``plan/catalog.py``). The root, in order: the connection's ``path``;
``$ODIBI_PROVIDER_CATALOG_DIR``; the ``warehouse`` folder of the project's local system store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ExecutionError
from ..manifest.substitution import Environment
from .base import resolve_option
from .local import LocalConnection

CATALOG_DIR_VARIABLE = "ODIBI_PROVIDER_CATALOG_DIR"


class CatalogConnection(LocalConnection):
    """The tables of one catalog and schema, as Delta tables under a local catalog root."""

    def __init__(self, name: str, root: str | Path, project_dir: str | Path, *, catalog: str, schema: str) -> None:
        super().__init__(name, root, project_dir)
        self.catalog = catalog
        self.schema = schema

    def __repr__(self) -> str:
        return (f"CatalogConnection(name={self.name!r}, catalog={self.catalog!r}, schema={self.schema!r}, "
                f"root={str(self.base_path)!r})")


def catalog_root(spec: Any, env: Environment) -> str:
    """Where the catalog's tables live (see the module docstring); ExecutionError when nothing names one."""
    for source, value in (("path", spec.options.get("path")), (CATALOG_DIR_VARIABLE, env.get(CATALOG_DIR_VARIABLE)),
                          ("default_root", spec.options.get("default_root"))):
        if not value:
            continue
        root = resolve_option(value, env, where=f"connection '{spec.name}'", key=source)
        if "://" in root:
            raise ExecutionError(f"connection '{spec.name}': catalog root '{root}' (from {source}) is not a local "
                                 "folder; Delta catalogs are kept on local disk: point it at a folder")
        return root
    raise ExecutionError(f"connection '{spec.name}': no catalog root: the system store is on an object store; "
                         f"set {CATALOG_DIR_VARIABLE} to a folder, or give the connection a 'path'")


def open_catalog(spec: Any, project_dir: Path, env: Environment) -> CatalogConnection:
    """Open a Delta catalog connection at its root."""
    return CatalogConnection(spec.name, catalog_root(spec, env), project_dir,
                             catalog=str(spec.options["catalog"]), schema=str(spec.options.get("schema", "default")))
