"""Object-store connections: ``s3``, ``azure_blob`` / ``azure_adls`` and ``gcs``.

Each is a :class:`~odibi_provider.connections.base.FileConnection` with ``is_local = False``:

* ``resolve(path)`` gives the dataset's URL under the connection's bucket/container and prefix:
  ``s3://bucket/prefix/path``, ``abfs://container/prefix/path``, ``gs://bucket/prefix/path``. For Azure
  the account is not in the URL but in :meth:`storage_options` and the filesystem: the
  ``abfs://container/path`` form is the one both adlfs and deltalake (object_store) accept.
* ``filesystem()`` is an fsspec filesystem (s3fs, adlfs, gcsfs) built once per connection, without
  listing caches, so data written by another process or by deltalake is seen at once.
* ``storage_options()`` are deltalake (object_store) options.

Secret options (keys, tokens, SAS, connection strings, client secrets) are resolved from their
``${env:...}`` references when the connection opens, held as :class:`~.base.Secret`, and never shown
by ``repr``/``str``; :meth:`CloudConnection.scrub` removes them from error text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import posixpath
import re
import secrets
import threading
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from ..errors import ExecutionError, MissingExtraError
from ..extras import require
from ..manifest.substitution import Environment
from .base import SECRET_FIELDS, Secret, resolve_option
from .masking import register_secret

_SAS_SIGNATURE = re.compile(r"(?i)\b(sig|signature)=[^&\s'\"]+")


class CloudConnection:
    """Files in an object store under ``root`` (a bucket or container) and ``prefix``."""

    is_local = False
    scheme: ClassVar[str] = ""
    root_option: ClassVar[str] = "bucket"

    def __init__(self, name: str, settings: Mapping[str, str | Secret]) -> None:
        self.name = name
        self._settings = dict(settings)
        root = self.get(self.root_option)
        if not root:
            raise ExecutionError(f"connection '{name}': a {self.kind} connection needs '{self.root_option}'")
        self.root = root.strip("/")
        prefix = posixpath.normpath(self.get("prefix") or ".").strip("/")
        self.prefix = "" if prefix == "." else prefix
        self._fs: Any = None
        self._lock = threading.Lock()
        for secret in self.secret_values():
            register_secret(secret)

    @property
    def kind(self) -> str:
        return str(self.get("type") or self.scheme)

    def get(self, key: str) -> str | None:
        """A resolved setting (secrets unwrapped; never log the result of a secret key)."""
        value = self._settings.get(key)
        return value.value if isinstance(value, Secret) else value

    def resolve(self, path: str) -> str:
        """The URL of ``path`` under the prefix; ``..`` that leaves the prefix, absolute paths and URLs fail."""
        return f"{self.scheme}://{self.key(path)}"

    def key(self, path: str) -> str:
        """The fsspec path (``bucket/prefix/path``, no scheme) of ``path``."""
        raw = str(path or "").replace("\\", "/")
        if "://" in raw or raw.startswith("/"):
            raise ExecutionError(
                f"connection '{self.name}': path '{path}' must be relative to the connection "
                f"({self.scheme}://{self.base}); write it without a scheme or a leading '/'")
        relative = posixpath.normpath(raw or ".")
        if relative == ".." or relative.startswith("../"):
            raise ExecutionError(
                f"connection '{self.name}': path '{path}' leaves the connection's prefix '{self.base}'; "
                "use a path below the prefix without '..', or point a connection at that location")
        return self.base if relative == "." else f"{self.base}/{relative}"

    @property
    def base(self) -> str:
        return f"{self.root}/{self.prefix}" if self.prefix else self.root

    def fs_path(self, location: str) -> str:
        """The fsspec path of a URL from :meth:`resolve` (the scheme removed)."""
        return location.split("://", 1)[1] if "://" in location else location

    def filesystem(self) -> Any:
        """The fsspec filesystem for this store, created on first use and reused."""
        with self._lock:
            if self._fs is None:
                self._fs = self._create_filesystem()
            return self._fs

    def storage_options(self) -> dict[str, str]:
        """deltalake (object_store) options with credentials resolved; never log them."""
        raise NotImplementedError

    def _create_filesystem(self) -> Any:
        raise NotImplementedError

    @property
    def token(self) -> str:
        """A short id of this connection's resolved settings, stable within the process.

        Keyed with a per-process random salt, so it identifies a configuration (two connections
        with different credentials differ) without revealing anything about the secrets.
        """
        material = json.dumps({"class": type(self).__name__, "name": self.name,
                               "settings": {k: self.get(k) for k in sorted(self._settings)}}, sort_keys=True)
        return hmac.new(_salt(), material.encode(), hashlib.sha256).hexdigest()[:12]

    def secret_values(self) -> list[str]:
        """Every resolved secret of this connection (and its URL-quoted form), longest first."""
        found = {v.value for v in self._settings.values() if isinstance(v, Secret) and len(v.value) >= 4}
        found |= self._extra_secrets()
        found |= {quote(v, safe="") for v in found}
        return sorted(found, key=len, reverse=True)

    def _extra_secrets(self) -> set[str]:
        return set()

    def scrub(self, text: str) -> str:
        """``text`` with every secret of this connection (and any SAS signature) replaced by ``***``."""
        for secret in self.secret_values():
            text = text.replace(secret, "***")
        return _SAS_SIGNATURE.sub(r"\1=***", text)

    def _shown_settings(self) -> str:
        shown = {k: v for k, v in self._settings.items()
                 if not isinstance(v, Secret) and k not in ("type", self.root_option, "prefix")}
        return "".join(f", {k}={v!r}" for k, v in sorted(shown.items()))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, location={self.scheme + '://' + self.base!r}"
                f"{self._shown_settings()})")

    __str__ = __repr__


@lru_cache(maxsize=1)
def _salt() -> bytes:
    return secrets.token_bytes(16)


class S3Connection(CloudConnection):
    """Amazon S3 or an S3-compatible store (``endpoint_url``: MinIO, moto, ...) through s3fs."""

    scheme = "s3"

    def _create_filesystem(self) -> Any:
        s3fs = require("s3fs", extra="cloud", purpose=f"the s3 connection '{self.name}'")
        region = self.get("region")
        return s3fs.S3FileSystem(
            key=self.get("access_key_id"), secret=self.get("secret_access_key"), token=self.get("session_token"),
            endpoint_url=self.get("endpoint_url"), client_kwargs={"region_name": region} if region else None,
            skip_instance_cache=True, use_listings_cache=False)

    def storage_options(self) -> dict[str, str]:
        endpoint = self.get("endpoint_url")
        options = {
            "AWS_ACCESS_KEY_ID": self.get("access_key_id"), "AWS_SECRET_ACCESS_KEY": self.get("secret_access_key"),
            "AWS_SESSION_TOKEN": self.get("session_token"),
            "AWS_REGION": self.get("region") or ("us-east-1" if endpoint else None),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ALLOW_HTTP": "true" if endpoint and endpoint.startswith("http://") else None,
            # commits use PUT If-None-Match (S3 and moto support it): safe without a DynamoDB lock
            "aws_conditional_put": "etag",
        }
        return {k: v for k, v in options.items() if v}


class GcsConnection(CloudConnection):
    """Google Cloud Storage through gcsfs; ``token`` is a service-account JSON (text or file path)."""

    scheme = "gs"

    def _create_filesystem(self) -> Any:
        try:
            import gcsfs
        except ImportError as exc:
            raise MissingExtraError(f"'gcsfs' is needed for the gcs connection '{self.name}' but is not "
                                    "installed; install it with: pip install gcsfs") from exc
        token = self.get("token")
        return gcsfs.GCSFileSystem(project=self.get("project_id"), token=_gcs_token(token),
                                   skip_instance_cache=True, use_listings_cache=False)

    def storage_options(self) -> dict[str, str]:
        token = self.get("token")
        if not token or token in ("anon", "google_default", "cloud", "cache", "browser"):
            return {}
        if token.lstrip().startswith("{"):
            return {"google_service_account_key": token}
        return {"google_service_account": str(Path(token).expanduser())}


def _gcs_token(token: str | None) -> Any:
    if token and token.lstrip().startswith("{"):
        return json.loads(token)
    return token or None


def open_cloud(spec: Any, project_dir: Path, env: Environment) -> CloudConnection:
    """Open a cloud connection: resolve its ``${env:...}`` references (secrets kept as Secret)."""
    settings: dict[str, str | Secret] = {"type": spec.type}
    for key, raw in spec.options.items():
        if raw is None or key in ("airflow_conn_id", "description"):
            continue
        value = resolve_option(raw, env, where=f"connection '{spec.name}'", key=key)
        settings[key] = Secret(value) if key in SECRET_FIELDS else value
    if spec.type in ("azure_blob", "azure_adls"):
        from .azure import AzureConnection

        return AzureConnection(spec.name, settings)
    cls = {"s3": S3Connection, "gcs": GcsConnection}[spec.type]
    return cls(spec.name, settings)
