"""The ``sql`` connection: a database reached through SQLAlchemy (SQLite file, PostgreSQL, SQL Server).

The URL keeps its ``${env:NAME}`` references until the connection opens. A value put into the
``user:password`` part or the query is percent-quoted, so a password holding ``@ # / : %`` reaches the
database whole. The resolved URL, and in particular its password, never appears in a repr, a log
line or an error message: errors pass through :meth:`SqlDatabase.scrub` before they leave this
package, and every secret is registered for masking (:mod:`.masking`).

SQL Server (``mssql+pyodbc://``, Odibi's ``sql_server``/``azure_sql``) needs pyodbc and Microsoft's ODBC
driver; a service principal (``azure_ad``: tenant, client id, secret) signs in with an access token from
azure-identity, handed to the driver on every new connection (``SQL_COPT_SS_ACCESS_TOKEN``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ..errors import ExecutionError
from ..manifest.substitution import TOKEN, Environment, env_names, resolve_env_refs
from .base import resolve_option
from .masking import USERINFO_SAFE, register_secret, secret_variants

_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][\w+.-]*://[^:/@?#\s]*):(?P<password>[^@/?#\s]*)@")
_QUERY_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd)=[^&\s]*")
_ODBC_PASSWORD = re.compile(r"(?i)\b(pwd|password)(%3D|=)(%7B.*?%7D|\{.*?\}|[^&;%\s]*)")  # in an odbc_connect value
_SQL_SERVER_SCOPE = "https://database.windows.net/.default"
SQL_COPT_SS_ACCESS_TOKEN = 1256  # msodbcsql's pre-connect attribute for an Azure AD access token
_SECRET_NAME = re.compile(r"(?i)pass|pwd|secret|token|key|credential")
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
_QUERY_SAFE = "!$'()*,;:@/?-._~"  # query-value characters that need no quoting (not & = + # %)
_HELD = re.compile("\0(\\d+)\0")


def sqlalchemy_url(url: str) -> str:
    """``url`` with the driver this package installs: ``postgresql://`` -> ``postgresql+psycopg://``."""
    scheme, sep, rest = url.partition("://")
    return f"{_DRIVERS.get(scheme, scheme)}{sep}{rest}"


def resolve_url(template: str, env: Environment) -> str:
    """``template`` with its ``${env:...}`` references resolved; values in the ``user:password`` part are
    quoted as userinfo and values in the query as query values (elsewhere, e.g. a whole URL, as they are).

    Raises KeyError naming a variable that is not set.
    """
    values: list[str] = []

    def hold(match: re.Match[str]) -> str:
        values.append(resolve_env_refs(match.group(0), env))
        return f"\0{len(values) - 1}\0"

    held = TOKEN.sub(hold, template)
    userinfo, query = _zones(held)

    def put(match: re.Match[str]) -> str:
        value = values[int(match.group(1))]
        if value == "${":  # an escaped ``$${``
            return value
        if userinfo[0] <= match.start() < userinfo[1]:
            return quote(value, safe=USERINFO_SAFE)
        return quote(value, safe=_QUERY_SAFE) if match.start() >= query else value

    return _HELD.sub(put, held)



def _zones(url: str) -> tuple[tuple[int, int], int]:
    """The span of the ``user:password`` part of ``url`` and where its query starts (``len(url)``: none)."""
    start = url.find("://")
    if start < 0:
        return (0, 0), len(url)
    start += 3
    end = next((i for i in range(start, len(url)) if url[i] in "/?#"), len(url))
    at = url.rfind("@", start, end)
    query = url.find("?", end)
    return (start, at if at >= 0 else start), query if query >= 0 else len(url)


def redact_url(url: str) -> str:
    """``url`` with its password hidden: ``postgresql://user:***@host/db``, ``?password=***``, and the
    ``PWD`` of an ODBC connection string."""
    url = _ODBC_PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}***", url)
    return _QUERY_PASSWORD.sub(r"\1=***", _PASSWORD.sub(lambda m: f"{m.group('head')}:***@", url))


def _odbc_passwords(url: str) -> set[str]:
    """The ``PWD`` values of an ``odbc_connect`` connection string in ``url`` (braces removed)."""
    found: set[str] = set()
    for value in parse_qs(urlsplit(url).query).get("odbc_connect", []):
        for match in re.finditer(r"(?i)(?:^|;)\s*(?:pwd|password)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)", value):
            secret = match.group(1)
            secret = secret[1:-1].replace("}}", "}") if secret.startswith("{") else secret
            found |= {secret.strip()} if secret.strip() else set()
    return found


def access_token_struct(token: str) -> bytes:
    """An Azure AD access token as msodbcsql expects it: length-prefixed UTF-16-LE bytes."""
    encoded = token.encode("utf-16-le")
    return len(encoded).to_bytes(4, "little") + encoded


class SqlDatabase:
    """A SQL database by SQLAlchemy URL; the engine is created once and reused (thread-safe)."""

    def __init__(self, name: str, url_template: str, schema: str | None, env: Environment, *,
                 project_dir: str | Path | None = None, azure_ad: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.schema = schema
        self._template = url_template
        self._azure_ad = dict(azure_ad or {})
        self._env = env
        self._project_dir = Path(project_dir) if project_dir is not None else Path.cwd()
        self._secrets: tuple[str, ...] = ()
        self._engine: Any = None
        self._lock = threading.Lock()

    def url(self) -> str:
        """The SQLAlchemy URL with references resolved and the driver chosen; never log it."""
        try:
            raw = resolve_url(self._template, self._env)
        except KeyError as exc:
            variable = exc.args[0]
            raise ExecutionError(
                f"connection '{self.name}': environment variable '{variable}' is not set; "
                f"export {variable}=... or add it to the .env next to the project file") from None
        url = sqlalchemy_url(self._absolute_sqlite(raw))
        self._remember_secrets(url)
        return url

    def _remember_secrets(self, url: str) -> None:
        """Note the values that must never be shown: the URL's password and secret-named variables."""
        found = {value for name in env_names(self._template)
                 if _SECRET_NAME.search(name) and (value := self._env.get(name))}
        password = urlsplit(url).password if "://" in url else None
        if password:
            found |= {password, unquote(password)}
        found |= _odbc_passwords(url)
        variants: set[str] = set()
        for value in found:
            password_like = "://" not in value  # a whole URL is masked whole, not cut at its host
            register_secret(value, pieces=password_like)
            variants |= secret_variants(value, pieces=password_like)
        self._secrets = tuple(variants)

    @property
    def display_url(self) -> str:
        """The URL template with its password position hidden (for reprs, outcomes and errors)."""
        return redact_url(self._template)

    @property
    def dialect(self) -> str:
        """``sqlite``, ``postgresql``, ... (from the URL scheme, without resolving secrets)."""
        scheme = self._template.split("://", 1)[0].split("+", 1)[0]
        return "postgresql" if scheme in _DRIVERS else scheme

    def engine(self) -> Any:
        """A cached ``sqlalchemy.Engine``; SQLite connections get real transactions (DDL included)."""
        with self._lock:
            if self._engine is None:
                self._engine = self._create_engine()
            return self._engine

    def _create_engine(self) -> Any:
        from ..extras import require

        sqlalchemy = require("sqlalchemy", purpose=f"the sql connection '{self.name}'")
        if self.dialect == "mssql":
            require("pyodbc", extra="mssql", purpose=f"the SQL Server connection '{self.name}' (it also needs "
                                                     "Microsoft's ODBC driver, see the README)")
        try:
            engine = sqlalchemy.create_engine(self.url())
        except ExecutionError:
            raise
        except Exception as exc:  # noqa: BLE001 (reported with context)
            raise self.error("cannot create a database engine", exc) from None
        if engine.dialect.name == "sqlite":
            _transactional_sqlite(sqlalchemy, engine)
        if self._azure_ad:
            _token_on_connect(sqlalchemy, engine, self.azure_credential())
        return engine

    def azure_credential(self) -> Any:
        """The azure-identity credential of a service principal (``azure_ad``), secrets resolved here."""
        settings: dict[str, str] = {}
        for key, template in self._azure_ad.items():
            settings[key] = resolve_option(template, self._env, where=f"connection '{self.name}'", key=f"auth.{key}")
        register_secret(settings["client_secret"], pieces=True)
        self._secrets = (*self._secrets, *secret_variants(settings["client_secret"], pieces=True))
        from ..extras import require

        identity = require("azure.identity", extra="cloud", purpose=f"the Azure AD sign-in of '{self.name}'")
        return identity.ClientSecretCredential(settings["tenant_id"], settings["client_id"],
                                               settings["client_secret"])

    def location(self, table: str) -> str:
        """Where ``table`` lives, for outcomes and logs: the redacted URL plus the qualified table."""
        return f"{redact_url(self._absolute_sqlite(self._template))}#{table}"

    def scrub(self, text: str) -> str:
        """``text`` with every resolved secret of this connection replaced by ``***``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
        return redact_url(text) if "://" in text else text

    def error(self, what: str, exc: BaseException) -> ExecutionError:
        """An ExecutionError for ``exc`` that names this connection and carries no secret."""
        detail = self.scrub(f"{type(exc).__name__}: {exc}".splitlines()[0])
        return ExecutionError(f"connection '{self.name}' ({self.display_url}): {what}: {detail}")

    def dispose(self) -> None:
        """Close pooled connections (the engine is recreated on next use)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def _absolute_sqlite(self, url: str) -> str:
        head, sep, database = url.partition(":///")
        if not head.startswith("sqlite") or not sep or not database or database.startswith((":memory:", "/")):
            return url
        path, query_sep, query = database.partition("?")
        absolute = (self._project_dir / path).resolve()
        return f"{head}:///{absolute}{query_sep}{query}"

    def __repr__(self) -> str:
        return f"SqlDatabase(name={self.name!r}, url={self.display_url!r}, schema={self.schema!r})"

    __str__ = __repr__


def _token_on_connect(sqlalchemy: Any, engine: Any, credential: Any) -> None:
    """Sign every new DBAPI connection in with a fresh access token from ``credential``."""

    @sqlalchemy.event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        token = credential.get_token(_SQL_SERVER_SCOPE).token
        cparams.setdefault("attrs_before", {})[SQL_COPT_SS_ACCESS_TOKEN] = access_token_struct(token)


def _transactional_sqlite(sqlalchemy: Any, engine: Any) -> None:
    """Let SQLAlchemy, not pysqlite, open transactions, so DDL and DML commit or roll back together."""

    @sqlalchemy.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sqlalchemy.event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")
