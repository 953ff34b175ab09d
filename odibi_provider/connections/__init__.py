"""Open the connections a Plan names: ``local`` files, ``sql`` databases and object stores.

Importing this package loads no database, dataframe or cloud library; each connection type imports
what it needs when it opens. Object stores (s3, azure_blob, azure_adls, gcs) are fsspec-backed
:class:`~odibi_provider.connections.base.FileConnection` s (see :mod:`.cloud`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExecutionError
from ..manifest.substitution import Environment
from .base import FileConnection, Secret, SqlConnection, resolve_option

if TYPE_CHECKING:  # pragma: no cover
    from ..plan.model import ConnectionSpec

__all__ = ["FileConnection", "Secret", "SqlConnection", "open_connection"]

CLOUD_TYPES = ("s3", "azure_blob", "azure_adls", "gcs")


def open_connection(spec: ConnectionSpec, project_dir: Path, env: Environment) -> Any:
    """Open the connection ``spec`` describes; secrets are resolved from ``env`` here and only here."""
    opener = _OPENERS.get(spec.type)
    if opener is None:
        raise ExecutionError(f"connection '{spec.name}': unknown connection type '{spec.type}'; "
                             f"supported: {', '.join(sorted(_OPENERS))}")
    return opener(spec, Path(project_dir), env)


def _open_local(spec: ConnectionSpec, project_dir: Path, env: Environment) -> Any:
    from .local import LocalConnection

    base = _resolved(spec, "base_path", env) or "."
    return LocalConnection(spec.name, base, project_dir)


def _open_sql(spec: ConnectionSpec, project_dir: Path, env: Environment) -> Any:
    from .sql import SqlDatabase

    url = spec.options.get("url")
    if not url:
        raise ExecutionError(f"connection '{spec.name}': a sql connection needs 'url' "
                             "(for example sqlite:///data/warehouse.db or postgresql://user:${env:PG_PASSWORD}@host/db)")
    schema = _resolved(spec, "schema", env)
    return SqlDatabase(spec.name, str(url), schema, env, project_dir=project_dir,
                       azure_ad=spec.options.get("azure_ad"))


def _resolved(spec: ConnectionSpec, key: str, env: Environment) -> str | None:
    """A non-secret option with its ``${env:...}`` references resolved."""
    value = spec.options.get(key)
    if value is None:
        return None
    return resolve_option(value, env, where=f"connection '{spec.name}'", key=key)


def _open_http(spec: ConnectionSpec, project_dir: Path, env: Environment) -> Any:
    from .http import open_http

    return open_http(spec, project_dir, env)


def _open_catalog(spec: ConnectionSpec, project_dir: Path, env: Environment) -> Any:
    from .catalog import open_catalog

    return open_catalog(spec, project_dir, env)


def _open_cloud(spec: ConnectionSpec, project_dir: Path, env: Environment) -> Any:
    from .cloud import open_cloud

    return open_cloud(spec, project_dir, env)


_OPENERS: dict[str, Callable[[ConnectionSpec, Path, Environment], Any]] = {
    "local": _open_local,
    "sql": _open_sql,
    "delta": _open_catalog,
    "http": _open_http,
    **{kind: _open_cloud for kind in CLOUD_TYPES},
}
