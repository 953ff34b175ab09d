"""airflow_conn_id: which Airflow Connection field fills which ``${env:...}`` reference, and masking."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection

from odibi_provider.airflow.connections import (
    connections_used,
    environment_for,
    reference_field,
    sqlalchemy_url,
    values_from_connection,
)
from odibi_provider.errors import ExecutionError
from odibi_provider.plan import compile_project
from odibi_provider.plan.frozen import FrozenMap
from odibi_provider.plan.model import ConnectionSpec

PG = Connection(conn_id="pg", conn_type="postgres", host="db.internal", port=5432, login="etl",
                password="p@ss:w/rd", schema="warehouse", extra=json.dumps({"sslmode": "require", "API_TOKEN": "tok"}))


def _spec(type_: str, **options: str) -> ConnectionSpec:
    return ConnectionSpec(name="wh", type=type_, options=FrozenMap(options), airflow_conn_id="pg")


@pytest.mark.parametrize(("key", "template", "expected"), [
    pytest.param("url", "${env:WH_URL}", ("url", True), id="whole url"),
    pytest.param("url", "postgresql://${env:U}:x@h/db", ("login", False), id="url user"),
    pytest.param("url", "postgresql://u:${env:P}@h/db", ("password", True), id="url password"),
    pytest.param("url", "postgresql://u:p@${env:H}:5432/db", ("host", False), id="url host"),
    pytest.param("url", "postgresql://u:p@h:${env:PORT}/db", ("port", False), id="url port"),
    pytest.param("url", "postgresql://u:p@h/${env:DB}", ("schema", False), id="url database"),
    pytest.param("secret_access_key", "${env:KEY}", ("password", True), id="s3 secret"),
    pytest.param("access_key_id", "${env:KEY_ID}", ("login", False), id="s3 key id"),
    pytest.param("session_token", "${env:TOKEN}", ("extra:aws_session_token|extra:session_token", True),
                 id="aws session token"),
    pytest.param("container", "${env:CONTAINER}", ("extra:container", False), id="other option from extra"),
])
def test_reference_positions(key, template, expected):
    name = template.split("${env:")[1].split("}")[0]
    assert reference_field(_spec("sql"), key, template, name) == expected


def test_url_parts_come_from_the_connection_raw():
    spec = _spec("sql", url="postgresql://${env:PG_USER}:${env:PG_PASSWORD}@${env:PG_HOST}/${env:PG_DB}")
    values = values_from_connection(spec, PG)
    assert values == {"PG_USER": ("etl", False), "PG_PASSWORD": ("p@ss:w/rd", True),
                      "PG_HOST": ("db.internal", False), "PG_DB": ("warehouse", False)}


def test_cloud_options_follow_airflows_connection_types():
    aws = Connection(conn_id="aws", conn_type="aws", login="AKIAEXAMPLE", password="aws-secret",
                     extra=json.dumps({"region_name": "eu-west-1", "aws_session_token": "sess"}))
    spec = ConnectionSpec(name="lake", type="s3", airflow_conn_id="aws", options=FrozenMap({
        "bucket": "b", "access_key_id": "${env:K}", "secret_access_key": "${env:S}", "session_token": "${env:T}",
        "region": "${env:R}"}))
    assert values_from_connection(spec, aws) == {"K": ("AKIAEXAMPLE", False), "S": ("aws-secret", True),
                                                 "T": ("sess", True), "R": ("eu-west-1", False)}


def test_whole_url_and_extra_by_name():
    values = values_from_connection(_spec("sql", url="${env:WH_URL}", token="${env:API_TOKEN}"), PG)
    assert values["WH_URL"] == ("postgresql://etl:p%40ss%3Aw%2Frd@db.internal:5432/warehouse", True)
    assert values["API_TOKEN"] == ("tok", True)
    assert sqlalchemy_url(Connection(conn_id="s", conn_type="sqlite", host="/data/w.db")) == "sqlite:////data/w.db"


def test_environment_prefers_airflow_then_process_then_dotenv_and_masks_secrets(make_project, monkeypatch):
    project = make_project("""
        project: p
        connections:
          raw: {type: local, base_path: data}
          wh: {type: sql, url: "postgresql://etl:${env:WH_PASSWORD}@db/${env:WH_DB}", airflow_conn_id: pg}
          other: {type: sql, url: "postgresql://etl:${env:OTHER_PASSWORD}@db/x"}
        pipelines:
          - pipeline: a
            nodes:
              - name: load
                read: {connection: raw, format: csv, path: x.csv}
                write: {connection: wh, format: sql, table: t}
    """, files={".env": "OTHER_PASSWORD=from-dotenv-secret\n"})
    monkeypatch.setenv("WH_DB", "process-db")
    plan = compile_project(project)
    node = plan.node("a.load")
    masked: list[str] = []
    env = environment_for(plan, node, fetch=lambda conn_id: PG, mask=masked.append)
    assert connections_used(plan, node) == ("raw", "wh")
    assert env.get("WH_PASSWORD") == "p@ss:w/rd" and env.get("WH_DB") == "warehouse"
    assert env.get("OTHER_PASSWORD") == "from-dotenv-secret", "not used by the node, still resolvable"
    assert {"p@ss:w/rd", "p%40ss%3Aw%2Frd"} <= set(masked)
    assert "warehouse" not in masked and "from-dotenv-secret" not in masked


def test_a_missing_airflow_connection_names_the_fix(make_project):
    project = make_project("""
        project: p
        connections: {wh: {type: sql, url: "${env:WH_URL}", airflow_conn_id: warehouse_prod}}
        pipelines:
          - pipeline: a
            nodes: [{name: load, read: {connection: wh, format: sql, table: t}}]
    """)
    plan = compile_project(project)

    def fetch(conn_id):
        from airflow.sdk.exceptions import AirflowNotFoundException

        raise AirflowNotFoundException(conn_id)

    with pytest.raises(ExecutionError, match="Airflow connection 'warehouse_prod'.*AIRFLOW_CONN_WAREHOUSE_PROD"):
        environment_for(plan, plan.node("a.load"), fetch=fetch, mask=lambda value: None)
