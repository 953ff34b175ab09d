"""The connection interface: where a dataset lives and how to reach it, secrets resolved only here.

A file connection maps a dataset path to a location string and, for remote stores, an fsspec
filesystem and storage options (so cloud connections slot in beside ``local``). A SQL connection
gives a SQLAlchemy URL. Secret values are resolved from ``${env:...}`` references when the
connection opens and are never put in reprs, errors or the Plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import ExecutionError

if TYPE_CHECKING:  # pragma: no cover
    from ..manifest.substitution import Environment

# connection options that hold credentials: resolved only when a connection opens, never shown
SECRET_FIELDS = frozenset({"url", "access_key_id", "secret_access_key", "session_token", "account_key",
                           "sas_token", "connection_string", "client_secret", "token"})


def resolve_option(raw: Any, env: Environment, *, where: str, key: str) -> str:
    """``raw`` with its ``${env:...}`` references resolved; a variable that is not set is an ExecutionError
    naming ``where`` (the connection), ``key`` (the option) and the fix."""
    from ..manifest.substitution import resolve_env_refs

    try:
        return resolve_env_refs(str(raw), env)
    except KeyError as exc:
        raise ExecutionError(f"{where}: environment variable '{exc.args[0]}' used by '{key}' is not set; export "
                             "it or add it to the project's .env") from None


@runtime_checkable
class FileConnection(Protocol):
    """A store of files: local disk, S3, Azure Blob/ADLS, GCS."""

    name: str
    is_local: bool

    def resolve(self, path: str) -> str:
        """The absolute location of ``path`` (a local path, or ``s3://...``/``abfs://...``).

        Raises ExecutionError when ``path`` escapes the connection's base (``../..``).
        """

    def filesystem(self) -> Any:
        """An fsspec filesystem for this store (``LocalFileSystem`` for local)."""

    def storage_options(self) -> dict[str, str]:
        """Options for deltalake / fsspec (credentials resolved); empty for local."""


@runtime_checkable
class SqlConnection(Protocol):
    """A SQL database (SQLite file, PostgreSQL)."""

    name: str
    schema: str | None

    def url(self) -> str:
        """The SQLAlchemy URL with credentials resolved; never log it."""

    def engine(self) -> Any:
        """A cached ``sqlalchemy.Engine`` for this connection."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A resolved secret value that never shows itself in repr or str."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "***"
