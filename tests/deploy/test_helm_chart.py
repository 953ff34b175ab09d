"""The Helm chart, rendered and linted by Helm's own Go SDK (helm-python-sdk, no helm binary) and every
rendered manifest validated offline against the Kubernetes schemas (kubernetes-validate, strict: unknown
fields are errors). The Airflow values for the official chart are checked against the image and provider."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="the dev extra installs helm-python-sdk")
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="the dev extra installs kubernetes-validate")

from odibi_provider.airflow.provider import get_provider_info  # noqa: E402
from odibi_provider.cli.main import build_parser  # noqa: E402
from tests.conftest import REPO  # noqa: E402

CHART = REPO / "helm" / "odibi"
AIRFLOW_VALUES = REPO / "helm" / "airflow-values.yaml"
KUBERNETES = "1.33.0"
FULL = {"stories": {"enabled": True, "baseUrl": "https://stories.example.com"},
        "connections": {"secretName": "odibi-connections", "env": {"WAREHOUSE_PASSWORD": "warehouse-password"}},
        "storage": {"existingClaim": "odibi-lake"}, "project": {"env": "prod"},
        "serviceAccount": {"create": True}, "imagePullSecrets": [{"name": "regcred"}]}


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values or {}, name="lake", namespace="data")
    return [doc for text in manifests.values() for doc in yaml.safe_load_all(text) if doc]


def workload(docs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    [found] = [d for d in docs if d["kind"] == "Deployment"
               and d["metadata"]["labels"]["app.kubernetes.io/component"] == component]
    return found


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_the_chart_lints_clean() -> None:
    for values in ({}, FULL):
        report = helm.lint(str(CHART), values, strict=True)
        assert report["errors"] == [] and not [m for m in report["messages"] if m["severity"] >= 2], report


@pytest.mark.parametrize("values", [pytest.param({}, id="defaults"), pytest.param(FULL, id="everything on")])
def test_every_rendered_manifest_is_valid_kubernetes(values: dict[str, Any]) -> None:
    docs = render(values)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_code_location_serves_the_image_module_with_grpc_health_probes() -> None:
    docs = render()
    assert {d["kind"] for d in docs} == {"Deployment", "Service"}
    main = container(workload(docs, "code-location"))
    command = main["command"]
    assert command[:3] == ["dagster", "api", "grpc"]
    assert (REPO / "docker" / f"{command[command.index('--module-name') + 1]}.py").is_file()
    port = int(command[command.index("--port") + 1])
    for probe in ("readinessProbe", "livenessProbe"):
        assert main[probe]["exec"]["command"] == ["dagster", "api", "grpc-health-check", "--port", str(port)]
    assert main["resources"]["requests"] == {"cpu": "250m", "memory": "512Mi"}
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert main["image"] == f"odibi/code-location:{version}", "the chart's appVersion follows the package"
    [service] = [d for d in docs if d["kind"] == "Service"]
    assert service["spec"]["ports"][0]["port"] == port


def test_connection_secrets_become_env_vars_from_the_secret() -> None:
    main = container(workload(render(FULL), "code-location"))
    env = {e["name"]: e for e in main["env"]}
    assert env["WAREHOUSE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "odibi-connections",
                                                                       "key": "warehouse-password"}
    assert env["ODIBI_ENV"]["value"] == "prod" and env["ODIBI_PROJECT"]["value"] == "/opt/odibi/project"
    assert env["ODIBI_STORY_BASE_URL"]["value"] == "https://stories.example.com"
    assert main["volumeMounts"] == [{"name": "data", "mountPath": "/data"}]


def test_the_story_server_runs_the_real_cli_command() -> None:
    stories = container(workload(render(FULL), "stories"))
    argv = stories["command"] + stories.get("args", [])
    assert argv[0] == "odibi-provider"
    args = build_parser().parse_args(argv[1:])
    assert (args.command, args.path, args.env, args.port) == ("serve-stories", "/opt/odibi/project", "prod", 8765)
    assert stories["readinessProbe"]["httpGet"]["port"] == "http"


@pytest.mark.parametrize(("values", "message"), [
    pytest.param({"dagster": {"replica": 2}}, r"/dagster.*'replica' not allowed", id="typo in a key"),
    pytest.param({"connections": {"env": {"PW": "pw"}}}, r"set connections.secretName", id="secret without name"),
    pytest.param({"stories": {"baseUrl": "file:///tmp"}}, r"/stories/baseUrl", id="non-http story url"),
])
def test_bad_values_are_refused_with_their_location(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmError, match=message):
        render(values)


def test_every_value_is_documented_in_values_yaml_and_the_readme() -> None:
    text = (CHART / "values.yaml").read_text(encoding="utf-8")
    readme = (REPO / "helm" / "README.md").read_text(encoding="utf-8")
    for section, keys in yaml.safe_load(text).items():
        assert re.search(rf"^(#.*\n)+{section}:", text, re.M), f"values.yaml has no comment above {section}"
        assert f"`{section}" in readme, f"helm/README.md does not describe {section}"
        if isinstance(keys, dict) and section != "podSecurityContext":  # a Kubernetes object, passed through
            for key in keys:
                assert f"{section}.{key}" in readme, f"helm/README.md does not describe {section}.{key}"


# --- the official Airflow chart -----------------------------------------------------------------------------

def _airflow_values() -> dict[str, Any]:
    return yaml.safe_load(AIRFLOW_VALUES.read_text(encoding="utf-8"))


def test_the_airflow_values_configure_a_dag_bundle_and_the_odibi_image() -> None:
    values = _airflow_values()
    [bundle] = json.loads(values["config"]["dag_processor"]["dag_bundle_config_list"])
    assert bundle["classpath"].endswith("GitDagBundle") and (REPO / bundle["kwargs"]["subdir"]).is_dir()
    assert values["images"]["airflow"]["repository"] == "odibi/airflow"
    options = get_provider_info()["config"]["odibi"]["options"]
    assert set(values["config"]["odibi"]) <= set(options)


def test_the_airflow_env_matches_the_image() -> None:
    dockerfile = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text(encoding="utf-8"))
    airflow_stage = dockerfile.split("AS airflow", 1)[1]
    image_env = dict(part.split("=", 1) for line in airflow_stage.splitlines() if line.startswith("ENV ")
                     for part in shlex.split(line[4:]))
    env = {e["name"]: e["value"] for e in _airflow_values()["env"]}
    assert {k: env[k] for k in ("ODIBI_PROJECT", "ODIBI_PROVIDER_CACHE_DIR")} == {
        k: image_env[k] for k in ("ODIBI_PROJECT", "ODIBI_PROVIDER_CACHE_DIR")}
    assert all(Path(m["mountPath"]).is_absolute() for m in _airflow_values()["apiServer"]["extraVolumeMounts"])
