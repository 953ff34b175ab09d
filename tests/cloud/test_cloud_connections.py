"""Cloud connections without a server: locations, option mapping, secret handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from odibi_provider.connections import FileConnection, open_connection
from odibi_provider.connections.azure import parse_connection_string
from odibi_provider.errors import ExecutionError, MissingExtraError
from odibi_provider.manifest.substitution import Environment
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ConnectionSpec

KEY = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVlLTAwMQ=="
SAS = "sv=2024-08-04&ss=b&srt=sco&sp=rwdl&se=2030-01-01&sig=SIGNATUREVALUE%2Fabc%3D"
ENV = Environment(process={"AK": "AKIAEXAMPLE000", "SK": "s3-secret-value-xyz", "ST": "session-token-123",
                           "AZ_KEY": KEY, "AZ_SAS": SAS, "CS": f"AccountName=acct;AccountKey={KEY};",
                           "CLIENT_SECRET": "client-secret-value-1"})


def _open(kind: str, **options: str) -> object:
    return open_connection(ConnectionSpec(name="lake", type=kind, options=FrozenMap(options)), Path("."), ENV)


def _s3(**extra: str) -> object:
    return _open("s3", bucket="bkt", prefix="raw/", access_key_id="${env:AK}", secret_access_key="${env:SK}",
                 **extra)


def test_s3_locations_stay_under_the_prefix() -> None:
    conn = _s3()
    assert isinstance(conn, FileConnection)
    assert conn.resolve("sales/2024.csv") == "s3://bkt/raw/sales/2024.csv"
    assert conn.resolve("a/../b.csv") == "s3://bkt/raw/b.csv"
    assert conn.resolve("") == "s3://bkt/raw"
    assert _open("s3", bucket="bkt", prefix=".hidden/./x/").resolve("y") == "s3://bkt/.hidden/x/y"
    assert _open("s3", bucket="bkt", prefix="/").resolve("y") == "s3://bkt/y"
    assert conn.resolve("x/*.csv") == "s3://bkt/raw/x/*.csv"
    assert conn.fs_path(conn.resolve("x")) == "bkt/raw/x"


@pytest.mark.parametrize("path", ["..", "../other/x.csv", "a/../../x", "/etc/passwd", "s3://other/x"])
def test_paths_that_leave_the_prefix_are_refused(path: str) -> None:
    with pytest.raises(ExecutionError, match="connection 'lake': path"):
        _s3().resolve(path)


def test_azure_and_gcs_locations() -> None:
    azure = _open("azure_adls", account_name="acct", container="lake", prefix="bronze")
    assert azure.resolve("t/x.parquet") == "abfs://lake/bronze/t/x.parquet"
    assert _open("gcs", bucket="g").resolve("x.csv") == "gs://g/x.csv"


def test_s3_storage_options_for_deltalake() -> None:
    conn = _s3(session_token="${env:ST}", endpoint_url="http://127.0.0.1:9000")
    assert conn.storage_options() == {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE000", "AWS_SECRET_ACCESS_KEY": "s3-secret-value-xyz",
        "AWS_SESSION_TOKEN": "session-token-123", "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ALLOW_HTTP": "true", "aws_conditional_put": "etag"}
    plain = _open("s3", bucket="bkt", region="eu-west-1").storage_options()
    assert plain == {"AWS_REGION": "eu-west-1", "aws_conditional_put": "etag"}


def test_s3_filesystem_is_built_once_with_the_resolved_credentials() -> None:
    conn = _s3(region="eu-west-1")
    fs = conn.filesystem()
    assert fs is conn.filesystem()
    assert (fs.key, fs.secret) == ("AKIAEXAMPLE000", "s3-secret-value-xyz")


@pytest.mark.parametrize(("options", "expected"), [
    pytest.param({"account_key": "${env:AZ_KEY}"}, {"account_name": "acct", "account_key": KEY}, id="key"),
    pytest.param({"sas_token": "?${env:AZ_SAS}"}, {"account_name": "acct", "sas_token": SAS}, id="sas"),
    pytest.param({"tenant_id": "t", "client_id": "c", "client_secret": "${env:CLIENT_SECRET}"},
                 {"account_name": "acct", "azure_tenant_id": "t", "azure_client_id": "c",
                  "azure_client_secret": "client-secret-value-1"}, id="service principal"),
    pytest.param({"connection_string": "${env:CS}"}, {"account_name": "acct", "account_key": KEY},
                 id="connection string"),
    pytest.param({"account_key": "${env:AZ_KEY}", "endpoint_url": "http://127.0.0.1:10000/acct/"},
                 {"account_name": "acct", "account_key": KEY, "azure_storage_endpoint": "http://127.0.0.1:10000/acct",
                  "allow_http": "true"}, id="endpoint"),
    pytest.param({"connection_string": "UseDevelopmentStorage=true"},
                 {"account_name": "acct", "azure_storage_use_emulator": "true"}, id="emulator"),
])
def test_azure_storage_options_for_deltalake(options: dict[str, str], expected: dict[str, str]) -> None:
    assert _open("azure_blob", account_name="acct", container="c", **options).storage_options() == expected


def test_azure_adlfs_options() -> None:
    base = {"account_name": "acct", "container": "c"}
    assert _open("azure_blob", **base, account_key="${env:AZ_KEY}").adlfs_options() == {
        "account_name": "acct", "account_key": KEY}
    emulated = _open("azure_blob", **base, account_key="${env:AZ_KEY}", endpoint_url="http://h:1/acct")
    assert emulated.adlfs_options() == {"connection_string": "DefaultEndpointsProtocol=http;AccountName=acct;"
                                                             f"AccountKey={KEY};BlobEndpoint=http://h:1/acct;"}
    principal = _open("azure_adls", **base, tenant_id="t", client_id="c", client_secret="${env:CLIENT_SECRET}",
                      endpoint_url="https://acct.blob.core.usgovcloudapi.net")
    assert principal.adlfs_options() == {"account_name": "acct", "tenant_id": "t", "client_id": "c",
                                         "client_secret": "client-secret-value-1",
                                         "account_host": "acct.blob.core.usgovcloudapi.net"}


def test_connection_strings_keep_padding() -> None:
    assert parse_connection_string(f"AccountName=a;AccountKey={KEY};")["accountkey"] == KEY


def test_gcs_storage_options() -> None:
    assert _open("gcs", bucket="g", token='{"type": "service_account"}').storage_options() == {
        "google_service_account_key": '{"type": "service_account"}'}
    assert _open("gcs", bucket="g", token="/keys/sa.json").storage_options() == {
        "google_service_account": "/keys/sa.json"}


def test_a_missing_secret_names_the_variable_not_a_value() -> None:
    with pytest.raises(ExecutionError, match="environment variable 'NOPE' used by 'secret_access_key' is not set"):
        _open("s3", bucket="b", secret_access_key="${env:NOPE}")


@pytest.mark.parametrize("kind", ["s3", "azure_blob"])
def test_repr_str_and_errors_never_show_secrets(kind: str) -> None:
    if kind == "s3":
        conn = _s3(session_token="${env:ST}")
        secrets = ["AKIAEXAMPLE000", "s3-secret-value-xyz", "session-token-123"]
    else:
        conn = _open("azure_blob", account_name="acct", container="c", account_key="${env:AZ_KEY}",
                     sas_token="${env:AZ_SAS}", connection_string="${env:CS}", client_secret="${env:CLIENT_SECRET}")
        secrets = [KEY, SAS, "client-secret-value-1"]
    echoed = RuntimeError(f"request failed: {' '.join(secrets)} https://x/c/b?sv=1&sig=OTHERSIG%3D&se=2 "
                          "https://x/c/b?sv=2&sig=SIGNATUREVALUE%2Fabc%3D")
    shown = [repr(conn), str(conn), conn.scrub(str(echoed))]
    for text in shown:
        for secret in secrets:
            assert secret not in text
        assert "OTHERSIG" not in text and "SIGNATUREVALUE" not in text
    assert "lake" in repr(conn)


def test_token_tells_configurations_apart_without_showing_them() -> None:
    one, same = _s3(), _s3()
    other = open_connection(ConnectionSpec(name="lake", type="s3", options=FrozenMap(
        {"bucket": "bkt", "prefix": "raw/", "access_key_id": "${env:AK}", "secret_access_key": "other"})),
        Path("."), ENV)
    assert one.token == same.token != other.token
    assert "s3-secret" not in one.token


def test_gcs_without_gcsfs_says_how_to_install_it() -> None:
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        with pytest.raises(MissingExtraError, match="pip install gcsfs"):
            _open("gcs", bucket="g").filesystem()
    else:
        pytest.skip("gcsfs is installed")
