"""Odibi's database connections (``sql_server``, ``azure_sql``, ``postgres``) and its Azure ``auth:`` block.

Each database connection is checked with Odibi's fields and defaults and becomes this package's ``sql``
connection (:meth:`SqlServerConnection.as_spec`): a SQLAlchemy URL template whose ``${env:...}``
references stay references until the connection opens. Azure ``auth:`` blocks become the flat settings
of ``azure_blob``/``azure_adls`` (:func:`azure_auth_settings`). Key Vault references are refused with
the reason (this package does not fetch secrets from Key Vault).
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .substitution import TOKEN

KEY_VAULT_REFUSED = ("Key Vault references are not supported: odibi-provider does not fetch secrets from Azure "
                     "Key Vault; put the secret in an environment variable (or an Airflow connection) and "
                     "reference it as ${env:NAME}")
ODBC_DRIVER = "ODBC Driver 18 for SQL Server"
# Odibi's SQL Server modes (config ``auth.mode`` and the factory's ``auth_mode``) -> the mode they mean
SQL_SERVER_MODES = {"sql_login": "sql_login", "sql": "sql_login", "aad_msi": "aad_msi",
                    "aad_password": "aad_password", "aad_service_principal": "aad_password",
                    "connection_string": "connection_string", "key_vault": "key_vault"}
SqlServerMode = Literal["sql_login", "sql", "aad_msi", "aad_password", "aad_service_principal",
                        "connection_string", "key_vault"]
# Odibi's Azure storage modes (config ``auth.mode`` and the factory's ``auth_mode``) -> the mode they mean
AZURE_MODES = {"account_key": "account_key", "direct_key": "account_key", "sas": "sas", "sas_token": "sas",
               "connection_string": "connection_string", "service_principal": "service_principal",
               "aad_msi": "aad_msi", "managed_identity": "aad_msi", "key_vault": "key_vault"}
AzureMode = Literal["account_key", "direct_key", "sas", "sas_token", "connection_string", "service_principal",
                    "aad_msi", "managed_identity", "key_vault"]
_AZURE_NEEDS = {"account_key": ("account_key",), "sas": ("sas_token",), "connection_string": ("connection_string",),
                "service_principal": ("tenant_id", "client_id", "client_secret"), "aad_msi": ()}
_SQL_NEEDS = {"sql_login": ("username", "password"), "aad_password": ("tenant_id", "client_id", "client_secret"),
              "connection_string": ("connection_string",), "aad_msi": ()}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _KeyVaultFields(_Strict):
    """Odibi's Key Vault reference (both spellings); accepted only to be refused with the reason."""

    key_vault_name: str | None = None
    secret_name: str | None = None
    key_vault: str | None = None
    secret: str | None = None

    def _refuse_key_vault(self, mode: str | None) -> None:
        if mode == "key_vault" or self.key_vault_name or self.key_vault or self.secret_name or self.secret:
            raise ValueError(KEY_VAULT_REFUSED)


def _mode(block_mode: str | None, flat_mode: str | None, table: dict[str, str]) -> str | None:
    """The mode ``auth.mode`` and ``auth_mode`` name (they must agree), normalised."""
    modes = {table[m] for m in (block_mode, flat_mode) if m}
    if len(modes) > 1:
        raise ValueError(f"'auth_mode: {flat_mode}' and 'auth.mode: {block_mode}' disagree; give one of them")
    return modes.pop() if modes else None


def _require(mode: str, fields: dict[str, Any], needs: dict[str, tuple[str, ...]]) -> None:
    missing = [name for name in needs[mode] if not fields.get(name)]
    if missing:
        raise ValueError(f"auth mode '{mode}' needs {', '.join(repr(m) for m in missing)} in the 'auth' block")


# --- SQL Server / Azure SQL / PostgreSQL ---------------------------------------------------------


class SqlAuth(_KeyVaultFields):
    """Odibi's ``auth:`` of a database connection (``mode`` optional: Odibi detects it from the fields)."""

    mode: SqlServerMode | None = None
    username: str | None = None
    password: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    connection_string: str | None = None


class _Database(_Strict):
    airflow_conn_id: str | None = None
    description: str | None = None
    host: str | None = None
    server: str | None = None
    database: str
    port: int = Field(default=1433, ge=1, le=65535)
    timeout: int = Field(default=30, ge=1)
    username: str | None = None
    password: str | None = None

    @property
    def hostname(self) -> str:
        return str(self.host or self.server)

    def _check_host(self) -> None:
        if bool(self.host) == bool(self.server):
            raise ValueError("give the database host as 'host' (or 'server'), exactly one of them")
        if re.search(r"^tcp:|,|/", self.hostname):
            raise ValueError(f"host '{self.hostname}' must be a host name alone; give the port as 'port:'")

    def _login(self, auth: SqlAuth | PostgresAuth | None) -> tuple[str | None, str | None]:
        if auth and (auth.username or auth.password):
            return auth.username, auth.password
        return self.username, self.password


class SqlServerConnection(_Database):
    """Odibi's ``sql_server`` / ``azure_sql``: SQL Server through pyodbc and the ODBC driver ``driver``."""

    type: Literal["sql_server", "azure_sql"]
    driver: str = ODBC_DRIVER
    auth_mode: SqlServerMode | None = None
    key_vault_name: str | None = None  # Odibi's Key Vault reference beside 'auth': refused with the reason
    secret_name: str | None = None
    auth: SqlAuth | None = Field(default=None, validate_default=True)

    @field_validator("auth")
    @classmethod
    def _auth(cls, value: SqlAuth | None, info: ValidationInfo) -> SqlAuth | None:
        """The mode and the fields it needs, checked here so that problems point at ``auth``."""
        data = info.data
        if data.get("key_vault_name") or data.get("secret_name"):
            raise ValueError(KEY_VAULT_REFUSED)
        sql_server_mode(value, data.get("auth_mode"), data.get("username"), data.get("password"))
        return value

    @model_validator(mode="after")
    def _host(self) -> SqlServerConnection:
        self._check_host()
        return self

    @property
    def sql_mode(self) -> str:
        """The effective auth mode: ``sql_login``, ``aad_msi``, ``aad_password`` or ``connection_string``."""
        return sql_server_mode(self.auth, self.auth_mode, self.username, self.password)

    def as_spec(self) -> tuple[str, dict[str, Any]]:
        """``("sql", options)``: the URL template (references kept) and, for a service principal, its token
        settings (``azure_ad``)."""
        auth = self.auth or SqlAuth()
        mode = self.sql_mode
        where = f"{self.hostname}:{self.port}/{_literal(self.database, '')}"
        query = {"driver": self.driver, "Encrypt": "yes", "TrustServerCertificate": "yes",
                 "Connection Timeout": str(self.timeout)}
        options: dict[str, Any] = {"kind": self.type, "auth_mode": mode}
        if mode == "connection_string":
            options["url"] = f"mssql+pyodbc:///?odbc_connect={_literal(str(auth.connection_string), '')}"
            return "sql", options
        user = ""
        if mode == "sql_login":
            username, password = self._login(self.auth)
            user = f"{_literal(str(username))}:{_literal(str(password))}@"
        elif mode == "aad_msi":
            query["authentication"] = "ActiveDirectoryMsi"  # the key SQLAlchemy's pyodbc dialect reads
            user = f"{_literal(auth.client_id)}@" if auth.client_id else ""
        else:  # a service principal signs in with an access token from azure-identity (connections/sql.py)
            options["azure_ad"] = {"tenant_id": auth.tenant_id, "client_id": auth.client_id,
                                   "client_secret": auth.client_secret}
        options["url"] = f"mssql+pyodbc://{user}{where}?" + "&".join(
            f"{quote(k)}={_literal(v, '')}" for k, v in query.items())
        return "sql", options


def sql_server_mode(auth: SqlAuth | None, auth_mode: str | None, username: str | None,
                    password: str | None) -> str:
    """The mode Odibi would use (``auth.mode``, ``auth_mode``, else detected from the fields), after checking
    that its fields are given and no field is left unused. Raises ValueError saying what to change."""
    block = auth or SqlAuth()
    mode = _mode(block.mode, auth_mode, SQL_SERVER_MODES)
    block._refuse_key_vault(mode)
    _one_login(block, username, password)
    if not (block.username or block.password):
        block = block.model_copy(update={"username": username, "password": password})
    if mode is None:  # Odibi's detection: a login if both are given, else managed identity
        mode = "sql_login" if block.username and block.password else "aad_msi"
    fields = block.model_dump(exclude_none=True)
    _require(mode, fields, _SQL_NEEDS)
    allowed = {*_SQL_NEEDS[mode], "mode", *(("client_id",) if mode == "aad_msi" else ())}
    unused = sorted(k for k, v in fields.items() if v and k not in allowed)
    if unused:
        raise ValueError(f"auth mode '{mode}' does not use {', '.join(repr(u) for u in unused)}; "
                         "remove them or choose the mode that uses them")
    return mode


class PostgresAuth(_Strict):
    """Odibi's ``auth:`` of a ``postgres`` connection: a login."""

    username: str | None = None
    password: str | None = None


class PostgresConnection(_Database):
    """Odibi's ``postgres`` / ``postgresql``: PostgreSQL through psycopg."""

    type: Literal["postgres", "postgresql"]
    port: int = Field(default=5432, ge=1, le=65535)
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "prefer"
    auth: PostgresAuth | None = None

    @field_validator("auth")
    @classmethod
    def _login_once(cls, value: PostgresAuth | None, info: ValidationInfo) -> PostgresAuth | None:
        if value is not None:
            _one_login(value, info.data.get("username"), info.data.get("password"))
        return value

    @model_validator(mode="after")
    def _host(self) -> PostgresConnection:
        self._check_host()
        return self

    def as_spec(self) -> tuple[str, dict[str, Any]]:
        """``("sql", options)`` with a ``postgresql://`` URL template (references kept)."""
        username, password = self._login(self.auth)
        user = ""
        if username:
            user = _literal(username) + (f":{_literal(password)}" if password else "") + "@"
        url = (f"postgresql://{user}{self.hostname}:{self.port}/{_literal(self.database, '')}"
               f"?sslmode={self.sslmode}&connect_timeout={self.timeout}")
        return "sql", {"kind": "postgres", "url": url}


def _one_login(auth: SqlAuth | PostgresAuth, username: str | None, password: str | None) -> None:
    if (auth.username or auth.password) and (username or password):
        raise ValueError("give 'username'/'password' either in the 'auth' block or beside it, not both")


def _literal(text: str, safe: str = "!$&'()*+,;=") -> str:
    """``text`` percent-quoted for a URL, except its ``${env:...}`` references (quoted when they resolve)."""
    pieces, last = [], 0
    for match in TOKEN.finditer(text):
        pieces += [quote(text[last:match.start()], safe=safe), match.group(0)]
        last = match.end()
    return "".join([*pieces, quote(text[last:], safe=safe)])


# --- Azure storage -------------------------------------------------------------------------------


class AzureAuth(_KeyVaultFields):
    """Odibi's ``auth:`` of ``azure_blob`` / ``azure_adls`` (``mode`` optional: Odibi detects it)."""

    mode: AzureMode | None = None
    account_key: str | None = None
    sas_token: str | None = None
    connection_string: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


AZURE_CREDENTIALS = ("account_key", "sas_token", "connection_string", "tenant_id", "client_id", "client_secret")


def azure_auth_settings(auth: AzureAuth | None, auth_mode: str | None, flat: dict[str, Any]) -> dict[str, Any]:
    """The flat credential settings an ``auth:`` block (or ``auth_mode``) means, plus ``auth_mode``.

    ``flat`` holds the credentials given beside the block (this package's own spelling); mixing both is
    refused. Raises ValueError naming what is missing or unused.
    """
    auth = auth or AzureAuth()
    mode = _mode(auth.mode, auth_mode, AZURE_MODES)
    auth._refuse_key_vault(mode)
    if flat.get("key_vault_name") or flat.get("secret_name"):
        raise ValueError(KEY_VAULT_REFUSED)
    given = {k: v for k, v in auth.model_dump(exclude_none=True).items() if k in AZURE_CREDENTIALS}
    beside = {k: v for k, v in flat.items() if v and k in AZURE_CREDENTIALS}
    if given and beside:
        raise ValueError(f"give the credentials either in the 'auth' block or beside it ({', '.join(sorted(beside))}),"
                         " not both")
    fields = given or beside
    if mode is None:
        return fields
    _require(mode, fields, _AZURE_NEEDS)
    allowed = _AZURE_NEEDS[mode] + (("client_id",) if mode == "aad_msi" else ())
    unused = sorted(set(fields) - set(allowed))
    if unused:
        raise ValueError(f"auth mode '{mode}' does not use {', '.join(repr(u) for u in unused)}; "
                         "remove them or choose the mode that uses them")
    return {**fields, "auth_mode": mode}


class DeltaCatalogConnection(_Strict):
    """Odibi's ``type: delta`` catalog connection: tables ``catalog.schema.table`` (``plan/catalog.py``).

    ``path`` is Odibi's path-based form: the folder the catalog's tables live under."""

    airflow_conn_id: str | None = None
    description: str | None = None
    type: Literal["delta"]
    catalog: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    db_schema: str = Field(default="default", alias="schema", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    path: str | None = None

    def as_spec(self) -> tuple[str, dict[str, Any]]:
        """``("delta", {catalog, schema[, path]})``."""
        return "delta", self.model_dump(by_alias=True, exclude_none=True,
                                        exclude={"type", "airflow_conn_id", "description"})


# Odibi's SQL Server read/write formats: the ``sql`` format of this package
SQL_FORMAT_ALIASES = {"sql_server": "sql", "azure_sql": "sql"}


def odibi_sql_format(value: Any) -> Any:
    """``format: sql_server`` / ``azure_sql`` (Odibi's names) as ``sql``; any other value unchanged."""
    return SQL_FORMAT_ALIASES.get(value, value) if isinstance(value, str) else value
