"""Odibi's ``auth:`` blocks and ``path_prefix`` on ``azure_blob``/``azure_adls``: run against Azurite where the
mode can run locally (account key, SAS, connection string); managed identity and service principal are
checked up to the credential they sign in with."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.manifest.loader import load_project
from odibi_provider.plan.cache import load_plan
from odibi_provider.runner import run_project
from tests.cloud.conftest import CONTAINER, open_spec
from tests.fixtures.cloud_servers import AZURITE_ACCOUNT, AZURITE_KEY

PROJECT = """
project: azure_auth
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
  lake:
    type: KIND
    account_name: ACCOUNT
    container: CONTAINER
    path_prefix: PREFIX
ENDPOINT    auth:
AUTH
story: {connection: out, path: stories}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: land
        read: {connection: raw, format: csv, path: orders.csv}
        write: {connection: lake, format: parquet, path: bronze/orders.parquet}
      - name: back
        read: {connection: lake, format: parquet, path: bronze/orders.parquet}
        write: {connection: out, format: parquet, path: back.parquet}
"""


def _sas() -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(AZURITE_ACCOUNT, CONTAINER, account_key=AZURITE_KEY,
                                  permission=ContainerSasPermissions(read=True, write=True, delete=True, list=True,
                                                                     add=True, create=True),
                                  expiry=datetime.now(UTC) + timedelta(hours=1))


MODES = {
    "account_key": ("      mode: account_key\n      account_key: ${env:AZ_SECRET}", lambda az: AZURITE_KEY),
    "sas": ("      mode: sas\n      sas_token: ${env:AZ_SECRET}", lambda az: _sas()),
    "connection_string": ("      mode: connection_string\n      connection_string: ${env:AZ_SECRET}",
                          lambda az: az.connection_string),
    "direct_key (factory auth_mode)": ("      account_key: ${env:AZ_SECRET}", lambda az: AZURITE_KEY),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_an_auth_block_reads_and_writes_under_the_path_prefix(make_project: Any, azurite: Any, mode: str) -> None:
    from azure.storage.blob import BlobServiceClient

    auth, secret = MODES[mode]
    prefix = f"auth-{uuid.uuid4().hex[:10]}/lake"
    endpoint = "" if mode == "connection_string" else f"    endpoint_url: {azurite.endpoint}\n"
    if mode.startswith("direct_key"):
        endpoint += "    auth_mode: direct_key\n"
    text = PROJECT
    for token, value in {"KIND": "azure_adls" if mode == "sas" else "azure_blob", "ACCOUNT": AZURITE_ACCOUNT,
                         "CONTAINER": CONTAINER, "PREFIX": prefix, "ENDPOINT": endpoint, "AUTH": auth}.items():
        text = text.replace(token, value)
    value = secret(azurite)
    project = make_project(text, files={"data/orders.csv": "id,amount\n1,10\n2,5\n3,7\n", ".env": f"AZ_SECRET={value}\n"})

    run = run_project(project, workers=1)

    assert run.ok, [(r.node_id, r.error) for r in run.results]
    assert pq.read_table(project.parent / "out" / "back.parquet").num_rows == 3
    with BlobServiceClient.from_connection_string(azurite.connection_string) as client:
        names = [b.name for b in client.get_container_client(CONTAINER).list_blobs(name_starts_with=prefix)]
    assert f"{prefix}/bronze/orders.parquet" in names
    assert "${env:AZ_SECRET}" in str(dict(load_plan(project).connection("lake").options))
    for path in (project.parent / "out").rglob("*"):
        if path.is_file():
            assert value not in path.read_bytes().decode("utf-8", errors="replace"), path


def _opened(tmp_path: Path, block: str, secrets: dict[str, str] | None = None) -> Any:
    (tmp_path / "odibi.yaml").write_text(f"project: p\nconnections:\n  lake:\n{block}\n")
    plan = load_plan(tmp_path / "odibi.yaml")
    return open_spec(plan.connection("lake"), secrets or {})


def test_managed_identity_signs_in_as_the_user_assigned_identity(tmp_path: Path) -> None:
    from azure.identity.aio import ManagedIdentityCredential

    lake = _opened(tmp_path, "    type: azure_blob\n    account_name: acct\n    container: bronze\n"
                             "    auth: {mode: aad_msi, client_id: 00000000-0000-0000-0000-0000000000aa}")
    assert isinstance(lake.filesystem().credential, ManagedIdentityCredential)
    assert lake.storage_options() == {"account_name": "acct",
                                      "azure_client_id": "00000000-0000-0000-0000-0000000000aa"}


def test_factory_managed_identity_without_a_client_id(tmp_path: Path) -> None:
    from azure.identity.aio import ManagedIdentityCredential

    lake = _opened(tmp_path, "    type: azure_adls\n    account_name: acct\n    container: data\n"
                             "    path_prefix: bronze\n    auth_mode: managed_identity")
    assert isinstance(lake.filesystem().credential, ManagedIdentityCredential)
    assert lake.storage_options() == {"account_name": "acct"}
    assert lake.resolve("orders") == "abfs://data/bronze/orders"


def test_a_service_principal_signs_in_with_its_secret_never_shown(tmp_path: Path) -> None:
    from azure.identity.aio import ClientSecretCredential

    lake = _opened(tmp_path, "    type: azure_adls\n    account_name: acct\n    container: data\n"
                             "    auth_mode: service_principal\n    auth:\n      tenant_id: ${env:T}\n"
                             "      client_id: ${env:C}\n      client_secret: ${env:S}",
                   {"T": "tenant-1", "C": "client-1", "S": "sp-secret-value-1"})
    assert isinstance(lake.filesystem().credential, ClientSecretCredential)
    assert lake.storage_options() == {"account_name": "acct", "azure_tenant_id": "tenant-1",
                                      "azure_client_id": "client-1", "azure_client_secret": "sp-secret-value-1"}
    assert "sp-secret-value-1" not in repr(lake) and "sp-secret-value-1" not in lake.scrub("bad sp-secret-value-1")


@pytest.mark.parametrize(("block", "message", "where"), [
    pytest.param("auth: {mode: key_vault, key_vault: kv, secret: s}", "Key Vault references are not supported",
                 "connections.lake.auth", id="key vault"),
    pytest.param("key_vault_name: kv\n    secret_name: s", "Key Vault references are not supported",
                 "connections.lake", id="key vault beside auth"),
    pytest.param("auth: {mode: sas}", "needs 'sas_token'", "connections.lake.auth", id="sas without token"),
    pytest.param("auth: {mode: aad_msi, account_key: k}", "does not use 'account_key'", "connections.lake.auth",
                 id="unused key"),
    pytest.param("auth_mode: sas\n    auth: {mode: account_key, account_key: k}", "disagree", "connections.lake",
                 id="two modes"),
    pytest.param("account_key: k\n    auth: {mode: account_key, account_key: k}", "either in the 'auth' block",
                 "connections.lake", id="credentials twice"),
    pytest.param("prefix: a\n    path_prefix: b", "not both", "connections.lake", id="two prefixes"),
    pytest.param("auth: {mode: oauth}", "auth.mode", "connections.lake.auth.mode", id="unknown mode"),
])
def test_bad_auth_blocks_are_refused_with_their_place(tmp_path: Path, block: str, message: str, where: str) -> None:
    (tmp_path / "odibi.yaml").write_text(
        f"project: p\nconnections:\n  lake:\n    type: azure_blob\n    account_name: a\n    container: c\n"
        f"    {block}\n")
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path / "odibi.yaml")
    text = str(info.value)
    assert message in text and where in text and "odibi.yaml:" in text
