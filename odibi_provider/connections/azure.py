"""The ``azure_blob`` / ``azure_adls`` connection: a container in a storage account, through adlfs.

Both types read and write through the Blob endpoint (ADLS Gen2 accounts serve it too), so they
map to the same options. Credentials, in order: ``connection_string``; ``account_key``; ``sas_token``;
a service principal (``tenant_id``, ``client_id``, ``client_secret``); else adlfs' and deltalake's
defaults (environment, managed identity). ``endpoint_url`` points at a non-public endpoint, e.g.
Azurite: ``http://127.0.0.1:10000/devstoreaccount1``. Odibi's ``auth:`` blocks arrive here flattened
(``manifest/odibi_connections.py``) with ``auth_mode``; ``aad_msi`` signs in as the managed identity
(``client_id`` for a user-assigned one) on both paths.

======================  ==============================  =====================================
setting                 adlfs (``filesystem()``)        deltalake (``storage_options()``)
======================  ==============================  =====================================
account_name            account_name                    account_name
account_key             account_key                     account_key
sas_token               sas_token                       sas_token (without a leading ``?``)
tenant/client id/secret tenant_id, client_id, ...       azure_tenant_id, azure_client_id, ...
connection_string       connection_string               parsed: account_key / sas_token /
                                                        azure_storage_endpoint, or
                                                        azure_storage_use_emulator
endpoint_url            a connection string with        azure_storage_endpoint (+ allow_http
                        BlobEndpoint (key or SAS), or   for ``http://``)
                        account_host (https)
======================  ==============================  =====================================
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..extras import require
from .cloud import CloudConnection


def parse_connection_string(text: str) -> dict[str, str]:
    """``Key=value;...`` as a dict with lower-case keys (values keep their ``=`` padding)."""
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            parts[key.strip().lower()] = value.strip()
    return parts


class AzureConnection(CloudConnection):
    """A container of an Azure storage account (Blob or ADLS Gen2), ``abfs://container/prefix/path``."""

    scheme = "abfs"
    root_option = "container"

    @property
    def _parsed(self) -> dict[str, str]:
        return parse_connection_string(self.get("connection_string") or "")

    @property
    def account_name(self) -> str | None:
        return self.get("account_name") or self._parsed.get("accountname")

    def _credentials(self) -> dict[str, str | None]:
        """Key, SAS and endpoint from the explicit settings, else from the connection string."""
        parsed = self._parsed
        endpoint = self.get("endpoint_url") or parsed.get("blobendpoint")
        suffix = parsed.get("endpointsuffix")
        if not endpoint and suffix and suffix != "core.windows.net":
            protocol = parsed.get("defaultendpointsprotocol", "https")
            endpoint = f"{protocol}://{self.account_name}.blob.{suffix}"
        return {"key": self.get("account_key") or parsed.get("accountkey"),
                "sas": (self.get("sas_token") or parsed.get("sharedaccesssignature") or "").lstrip("?") or None,
                "endpoint": endpoint.rstrip("/") if endpoint else None,
                "emulator": "true" if parsed.get("usedevelopmentstorage", "").lower() == "true" else None}

    def _extra_secrets(self) -> set[str]:
        found = self._credentials()
        return {v for v in (found["key"], found["sas"]) if v and len(v) >= 4}

    def _create_filesystem(self) -> Any:
        adlfs = require("adlfs", extra="cloud", purpose=f"the {self.kind} connection '{self.name}'")
        return adlfs.AzureBlobFileSystem(**self.adlfs_options(), skip_instance_cache=True, use_listings_cache=False)

    @property
    def managed_identity(self) -> bool:
        """True when the connection signs in as an Azure managed identity (Odibi's ``aad_msi``)."""
        return self.get("auth_mode") == "aad_msi"

    def _managed_identity_credential(self) -> Any:
        """The azure-identity (async, as adlfs wants) managed-identity credential of this connection."""
        identity = require("azure.identity.aio", extra="cloud", purpose=f"the managed identity of '{self.name}'")
        client_id = self.get("client_id")
        return identity.ManagedIdentityCredential(**({"client_id": client_id} if client_id else {}))

    def adlfs_options(self) -> dict[str, Any]:
        """Keyword arguments for ``adlfs.AzureBlobFileSystem`` (credentials resolved; never log them)."""
        if self.managed_identity:
            endpoint = self._credentials()["endpoint"]
            host = {"account_host": urlsplit(endpoint).netloc} if endpoint else {}
            return {"account_name": self.account_name, "credential": self._managed_identity_credential(), **host}
        if self.get("connection_string"):
            return {"connection_string": self.get("connection_string")}
        found = self._credentials()
        endpoint, key, sas = found["endpoint"], found["key"], found["sas"]
        if endpoint and (key or sas):
            scheme = urlsplit(endpoint).scheme or "https"
            auth = f"AccountKey={key}" if key else f"SharedAccessSignature={sas}"
            return {"connection_string": f"DefaultEndpointsProtocol={scheme};AccountName={self.account_name};"
                                         f"{auth};BlobEndpoint={endpoint};"}
        options: dict[str, Any] = {"account_name": self.account_name, "account_key": key, "sas_token": sas,
                                   "tenant_id": self.get("tenant_id"), "client_id": self.get("client_id"),
                                   "client_secret": self.get("client_secret")}
        if endpoint:
            options["account_host"] = urlsplit(endpoint).netloc
        return {k: v for k, v in options.items() if v}

    def storage_options(self) -> dict[str, str]:
        found = self._credentials()
        endpoint = found["endpoint"]
        options = {
            "account_name": self.account_name, "account_key": found["key"], "sas_token": found["sas"],
            "azure_tenant_id": self.get("tenant_id"), "azure_client_id": self.get("client_id"),
            "azure_client_secret": self.get("client_secret"),
            "azure_storage_endpoint": endpoint, "azure_storage_use_emulator": found["emulator"],
            "allow_http": "true" if (endpoint or "").startswith("http://") else None,
        }
        return {k: v for k, v in options.items() if v}
