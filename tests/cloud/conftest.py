"""Session emulators (one moto S3 server, one Azurite) and fresh cloud connections per test.

Every connection is opened the way a run opens it: ``open_connection`` on a ConnectionSpec whose
secrets are ``${env:...}`` references, resolved from an Environment holding the test secrets.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.connections import open_connection
from odibi_provider.manifest.substitution import Environment
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ConnectionSpec
from tests.fixtures.cloud_servers import (
    AZURITE_ACCOUNT,
    AZURITE_INSTALL,
    AZURITE_KEY,
    AZURITE_VERSION,
    Azurite,
    MotoS3,
    ServerUnavailable,
)

BUCKET = "odibi-test"
CONTAINER = "odibi-test"
# moto accepts any credentials; these stand in for real secrets in the leak tests
SECRETS = {"S3_KEY": "AKIAODIBITESTKEY0001", "S3_SECRET": "s3-secret-Zq8vTq1X0pW", "AZ_KEY": AZURITE_KEY}


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    try:
        server = MotoS3.start()
    except ServerUnavailable as exc:
        pytest.skip(f"the moto S3 server cannot start: {exc}")
    server.create_bucket(BUCKET)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    try:
        server = Azurite.start()
    except ServerUnavailable as exc:
        pytest.skip(f"Azurite cannot start: {exc}")
    server.create_container(CONTAINER)
    yield server
    server.stop()


def s3_spec(endpoint: str, prefix: str, name: str = "s3lake", **extra: str) -> ConnectionSpec:
    options = {"bucket": BUCKET, "prefix": prefix, "region": "us-east-1", "endpoint_url": endpoint,
               "access_key_id": "${env:S3_KEY}", "secret_access_key": "${env:S3_SECRET}", **extra}
    return ConnectionSpec(name=name, type="s3", options=FrozenMap(options))


def azure_spec(endpoint: str, prefix: str, name: str = "azlake", kind: str = "azure_blob",
               **extra: str | None) -> ConnectionSpec:
    """An Azurite connection; ``extra`` adds options (None drops one, e.g. ``account_key=None``)."""
    options = {"account_name": AZURITE_ACCOUNT, "container": CONTAINER, "prefix": prefix,
               "endpoint_url": endpoint, "account_key": "${env:AZ_KEY}", **extra}
    return ConnectionSpec(name=name, type=kind, options=FrozenMap({k: v for k, v in options.items() if v}))


def open_spec(spec: ConnectionSpec, secrets: dict[str, str] | None = None) -> Any:
    return open_connection(spec, Path("."), Environment(process=dict(SECRETS if secrets is None else secrets)))


@pytest.fixture
def s3_lake(moto_s3: MotoS3) -> Any:
    """An s3 connection under a fresh prefix of the session bucket."""
    return open_spec(s3_spec(moto_s3.endpoint, f"t-{uuid.uuid4().hex[:10]}/lake"))


@pytest.fixture
def azure_lake(azurite: Azurite) -> Any:
    """An azure_blob connection (account key) under a fresh prefix of the session container."""
    return open_spec(azure_spec(azurite.endpoint, f"t-{uuid.uuid4().hex[:10]}/lake"))


@pytest.fixture(params=["s3", "azure"])
def lake(request: pytest.FixtureRequest) -> Any:
    """Each object store in turn."""
    return request.getfixturevalue(f"{request.param}_lake")


@pytest.fixture
def delta_lake(request: pytest.FixtureRequest, lake: Any) -> Any:
    """``lake`` for Delta tests: an Azurite older than 3.37 ignores the listing deltalake relies on."""
    if lake.scheme == "abfs":
        version = request.getfixturevalue("azurite").version
        if version < AZURITE_VERSION:
            pytest.skip(f"Azurite {'.'.join(map(str, version))} ignores List Blobs startFrom, which deltalake "
                        f"uses to list its log; install Azurite 3.37+: {AZURITE_INSTALL}")
    return lake


@pytest.fixture
def duck() -> Iterator[Any]:
    """A DuckDB cursor like the one the engine hands to readers and writers."""
    import duckdb

    database = duckdb.connect(":memory:")
    cursor = database.cursor()
    yield cursor
    cursor.close()
    database.close()
