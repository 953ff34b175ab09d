"""An HTTP API connection (``type: http``): base URL and request headers, auth secrets resolved on open.

Standard library only. Odibi's auth modes: ``bearer`` (``Authorization: Bearer <token>``), ``basic``
(username/password) and ``api_key`` (``header_name: value_template`` with the key in ``{token}``). Every
resolved secret, and every header value built from one, is registered for masking.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExecutionError
from ..manifest.substitution import Environment
from .base import resolve_option
from .masking import register_secret

if TYPE_CHECKING:  # pragma: no cover
    from ..plan.model import ConnectionSpec

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


@dataclass(frozen=True)
class HttpConnection:
    """An opened HTTP connection; ``headers`` hold resolved secrets (never shown: see ``__repr__``)."""

    name: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    env: Environment | None = field(default=None, repr=False, compare=False)  # resolves ${env:...} in read options

    def resolve_options(self, options: Any, where: str) -> Any:
        """``options`` with their ``${env:...}`` references resolved (each value registered as a secret)."""
        if isinstance(options, Mapping):
            return {k: self.resolve_options(v, where) for k, v in options.items()}
        if isinstance(options, list | tuple):
            return [self.resolve_options(v, where) for v in options]
        if not isinstance(options, str) or "${" not in options or self.env is None:
            return options
        text = resolve_option(options, self.env, where=where, key="read.options")
        register_secret(text)
        return text

    def url(self, path: str) -> str:
        """The URL of an endpoint ``path`` (a full ``http(s)://`` URL is used as it is)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"


def open_http(spec: ConnectionSpec, project_dir: Path, env: Environment) -> HttpConnection:
    """Open ``spec``: resolve ``${env:...}`` in the base URL, headers and auth; build the auth header."""
    where = f"connection '{spec.name}'"

    def value(raw: Any, key: str, *, secret: bool) -> str:
        text = resolve_option(raw, env, where=where, key=key)
        if secret:
            register_secret(text)
        return text

    base_url = value(spec.options.get("base_url", ""), "base_url", secret=False)
    if not base_url.startswith(("http://", "https://")):
        raise ExecutionError(f"{where}: base_url must start with http:// or https:// (got '{base_url}')")
    headers = {str(k): value(v, f"headers.{k}", secret="${" in str(v))
               for k, v in dict(spec.options.get("headers") or {}).items()}
    auth = dict(spec.options.get("auth") or {})
    mode = auth.get("mode", "none")
    if mode == "bearer":
        _set(headers, "Authorization", "Bearer " + value(auth["token"], "auth.token", secret=True), where)
    elif mode == "basic":
        user = value(auth["username"], "auth.username", secret=False)
        password = value(auth["password"], "auth.password", secret=True)
        _set(headers, "Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(), where)
    elif mode == "api_key":
        key = value(auth["api_key"], "auth.api_key", secret=True)
        template = str(auth.get("value_template", "Bearer {token}"))
        _set(headers, str(auth.get("header_name", "Authorization")), template.replace("{token}", key, 1), where)
    return HttpConnection(spec.name, base_url, headers, env)


def _set(headers: dict[str, str], name: str, value: str, where: str) -> None:
    register_secret(value)
    if not _HEADER_NAME.fullmatch(name):
        raise ExecutionError(f"{where}: auth header name '{name}' is not a valid HTTP header name")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ExecutionError(f"{where}: the auth header value contains a control character; check the secret")
    headers[name] = value
