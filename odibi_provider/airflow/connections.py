"""Odibi connections backed by Airflow Connections, and log masking of every secret a task resolves.

An odibi connection that names ``airflow_conn_id`` keeps its ``${env:NAME}`` references; at execute
time each reference takes its value from the Airflow Connection (so from the metadata DB, an
``AIRFLOW_CONN_*`` variable or the secrets backend), chosen by where the reference sits:

- a key of the Connection's ``extra`` named exactly ``NAME`` wins;
- inside ``url``: the whole URL (``url: ${env:WH_URL}`` -> a SQLAlchemy URL built from the Connection),
  or the URL part (user -> ``login``, password -> ``password``, host, port, path -> ``schema``);
- any other option by its key, as Airflow's own connection types store it (:data:`OPTION_FIELDS`):
  ``password``/``secret_access_key``/``account_key``/``client_secret`` -> ``password``;
  ``access_key_id``/``account_name``/``client_id``/``user`` -> ``login``; ``session_token`` -> extra
  ``aws_session_token``; ``region`` -> extra ``region_name``; ``endpoint_url`` -> extra ``endpoint_url``
  or ``host``; ``token`` -> extra ``keyfile_dict``/``key_path``/``token``; ``host``, ``port``,
  ``schema``/``database``; any other key -> the ``extra`` key of the same name.

References the Connection does not provide fall back to the process environment and the project's
``.env``. Values never enter the Plan or XCom; secret ones are registered with Airflow's masker.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import ExecutionError
from ..manifest.substitution import TOKEN, Environment, env_names, read_dotenv
from ..plan.model import ConnectionSpec, Plan, PlanNode

log = logging.getLogger("odibi_provider.airflow")

SECRET_OPTIONS = frozenset({"password", "secret_access_key", "session_token", "account_key", "sas_token",
                            "connection_string", "client_secret", "token"})
# option key -> Airflow Connection field(s), first present wins ("extra:KEY" reads the extra JSON)
OPTION_FIELDS = {
    **dict.fromkeys(("password", "secret_access_key", "account_key", "client_secret"), "password"),
    **dict.fromkeys(("access_key_id", "account_name", "client_id", "user", "username", "login"), "login"),
    "session_token": "extra:aws_session_token|extra:session_token", "region": "extra:region_name|extra:region",
    "endpoint_url": "extra:endpoint_url|host", "token": "extra:keyfile_dict|extra:key_path|extra:token",
    "host": "host", "port": "port", "schema": "schema", "database": "schema",
}
SQL_SCHEMES = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql", "mssql": "mssql",
               "sqlite": "sqlite", "oracle": "oracle"}
_SECRET_WORDS = re.compile(r"pass|secret|token|key|credential", re.IGNORECASE)
MISSING_CONNECTION = ("connection '{name}': Airflow connection '{conn_id}' (its airflow_conn_id) is not defined; "
                      "add it in the Airflow UI, as AIRFLOW_CONN_{env} or in the secrets backend")

Fetch = Callable[[str], Any]
Mask = Callable[[str], None]


def connections_used(plan: Plan, node: PlanNode) -> tuple[str, ...]:
    """The odibi connections running ``node`` opens: its read/write/quarantine, its upstreams' writes,
    and the story and system connections."""
    names: list[str | None] = [spec.connection for spec in (node.read, node.write, node.quarantine) if spec is not None]
    for upstream_id in node.upstream:
        write = plan.node(upstream_id).write
        if write is not None:
            names.append(write.connection)
    names += [plan.story.connection, plan.system.connection]
    return tuple(dict.fromkeys(n for n in names if n))


def reference_field(spec: ConnectionSpec, key: str, template: str, name: str) -> tuple[str | None, bool]:
    """Which Airflow Connection field fills reference ``name`` in option ``key``, and whether it is secret.

    Fields: ``login``, ``password``, ``host``, ``port``, ``schema``, ``url`` (the whole connection) or
    ``extra:KEY``; None when the position means nothing to a Connection.
    """
    if key == "url":
        if (match := TOKEN.fullmatch(template.strip())) and match.group(1) is not None:
            return "url", True
        part = _url_part(template, name)
        return part, part == "password"
    if key in OPTION_FIELDS:
        return OPTION_FIELDS[key], key in SECRET_OPTIONS
    return f"extra:{key}", key in SECRET_OPTIONS or bool(_SECRET_WORDS.search(key))


def _url_part(template: str, name: str) -> str | None:
    """The part of a URL template (``scheme://user:pass@host:port/db``) where ``${env:name}`` sits."""
    marker = "\x00"
    text = TOKEN.sub(lambda m: marker if m.group(1) is not None and name in env_names(m.group(0)) else "x", template)
    rest = text.split("://", 1)[-1]
    netloc, _, path = rest.partition("/")
    userinfo, _, hostport = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    host, _, port = hostport.partition(":")
    parts = {"login": user, "password": password, "host": host, "port": port, "schema": path.split("?")[0]}
    return next((part for part, value in parts.items() if marker in value), None)


def sqlalchemy_url(conn: Any) -> str:
    """A SQLAlchemy URL for an Airflow Connection (``sqlite`` takes the file from ``host``)."""
    conn_type = str(conn.conn_type or "")
    scheme = SQL_SCHEMES.get(conn_type, conn_type)
    if scheme == "sqlite":
        return f"sqlite:///{conn.host or conn.schema or ''}"
    auth = ""
    if conn.login:
        auth = quote(str(conn.login), safe="")
        if conn.password:
            auth += ":" + quote(str(conn.password), safe="")
        auth += "@"
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{auth}{conn.host or ''}{port}/{conn.schema or ''}"


def field_value(conn: Any, field: str) -> str | None:
    """The value of ``field`` (from :func:`reference_field`; ``a|b`` tries ``a`` then ``b``) on ``conn``."""
    if field == "url":
        return sqlalchemy_url(conn)
    for candidate in field.split("|"):
        value = _extra(conn).get(candidate[6:]) if candidate.startswith("extra:") else getattr(conn, candidate, None)
        if value not in (None, ""):
            return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict) else str(value)
    return None


def values_from_connection(spec: ConnectionSpec, conn: Any) -> dict[str, tuple[str, bool]]:
    """``{NAME: (value, secret)}`` for the references in ``spec``'s options that ``conn`` provides."""
    extra = _extra(conn)
    values: dict[str, tuple[str, bool]] = {}
    for key, template in _string_options(spec):
        for name in env_names(template):
            field, secret = reference_field(spec, key, template, name)
            if name in extra:
                value: str | None = str(extra[name])
                secret = secret or bool(_SECRET_WORDS.search(name))
            else:
                value = field_value(conn, field) if field else None
            if value is not None:  # a URL part stays raw: the sql connection quotes it
                values[name] = (value, secret)
    return values


def _extra(conn: Any) -> dict[str, Any]:
    try:
        extra = conn.extra_dejson
    except Exception:  # noqa: BLE001 - a malformed extra only costs its keys
        return {}
    return extra if isinstance(extra, dict) else {}


def environment_for(plan: Plan, node: PlanNode | Sequence[PlanNode], *, fetch: Fetch | None = None,
                    mask: Mask | None = None) -> Environment:
    """The odibi Environment for running ``node`` (or several nodes, in one pipeline task) under Airflow:
    Airflow Connection values over the process environment over the project's ``.env``; every secret it
    resolves is registered for masking."""
    fetch = fetch or _fetch_connection
    mask = mask or _mask
    from_airflow: dict[str, str] = {}
    secret_names: set[str] = set()
    nodes = [node] if isinstance(node, PlanNode) else list(node)
    for name in dict.fromkeys(name for one in nodes for name in connections_used(plan, one)):
        spec = plan.connection(name)
        if spec.airflow_conn_id:
            log.info("odibi connection '%s' takes its settings from Airflow connection '%s'", name,
                     spec.airflow_conn_id)
            conn = _get(fetch, spec)
            if getattr(conn, "password", None):
                _mask_all(mask, str(conn.password))
            for ref, (value, secret) in values_from_connection(spec, conn).items():
                from_airflow[ref] = value
                if secret:
                    secret_names.add(ref)
        secret_names.update(_secret_references(spec))
    env = Environment(dotenv=read_dotenv(Path(plan.project_dir) / ".env"), process=ChainMap(from_airflow, os.environ))
    for ref in secret_names:
        resolved = env.get(ref)
        if resolved:
            _mask_all(mask, resolved)
    return env


def _secret_references(spec: ConnectionSpec) -> set[str]:
    names: set[str] = set()
    for key, template in _string_options(spec):
        names.update(n for n in env_names(template) if reference_field(spec, key, template, n)[1])
    return names


def _string_options(spec: ConnectionSpec) -> list[tuple[str, str]]:
    """``(key, text)`` of every text option, one level of nested settings included (a SQL Server service
    principal's ``azure_ad``: ``client_id`` -> login, ``client_secret`` -> password, ``tenant_id`` -> extra)."""
    found: list[tuple[str, str]] = []
    for key, value in spec.options.items():
        nested = value.items() if isinstance(value, Mapping) else [(key, value)]
        found += [(k, v) for k, v in nested if isinstance(v, str)]
    return found


def _get(fetch: Fetch, spec: ConnectionSpec) -> Any:
    conn_id = str(spec.airflow_conn_id)
    try:
        return fetch(conn_id)
    except Exception as exc:
        if type(exc).__name__ == "AirflowNotFoundException":
            raise ExecutionError(MISSING_CONNECTION.format(name=spec.name, conn_id=conn_id,
                                                           env=conn_id.upper())) from None
        raise


def _mask_all(mask: Mask, value: str) -> None:
    """Mask ``value`` in Airflow's task log (as written, quoted and unquoted) and in odibi's own output
    (there also the pieces a URL parser cuts a password into: odibi masks longest first, so a whole secret
    is one ``***``; Airflow's masker does not order its patterns, so it gets only the whole forms)."""
    from ..connections.masking import register_secret, secret_variants

    register_secret(value, pieces="://" not in value)
    for variant in secret_variants(value) | {value}:
        mask(variant)


def _fetch_connection(conn_id: str) -> Any:
    from airflow.sdk import Connection

    return Connection.get(conn_id)


def _mask(value: str) -> None:
    from airflow.sdk.log import mask_secret

    mask_secret(value)
