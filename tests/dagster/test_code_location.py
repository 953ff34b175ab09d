"""The repository's code location: `dagster definitions validate` passes, and dagster-webserver serves it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent
GROUPS = {"bronze/customers": "bronze", "bronze/orders": "bronze", "bronze/products": "bronze",
          "silver/customers": "silver", "silver/orders": "silver", "silver/products": "silver",
          "gold/revenue_by_customer_day": "gold", "gold/top_products": "gold",
          # the raw inputs, as external assets
          "source/raw/customers_json": "sources", "source/raw/orders_csv": "sources",
          "source/raw/products_parquet": "sources"}
QUERY = "{ assetNodes { assetKey { path } groupName } }"


def _env(tmp_path: Path) -> dict[str, str]:
    """A throwaway DAGSTER_HOME and plan cache, so nothing lands in the repository."""
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return {**os.environ, "DAGSTER_HOME": str(home), "ODIBI_PROVIDER_CACHE_DIR": str(tmp_path / "plan_cache"),
            "DAGSTER_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(REPO)}


def test_the_module_exposes_defs(tmp_path, monkeypatch):
    monkeypatch.setenv("ODIBI_PROVIDER_CACHE_DIR", str(tmp_path / "plan_cache"))
    from definitions.definitions import EXAMPLE, defs

    assert EXAMPLE == REPO / "examples" / "retail"
    assert {job.name for job in defs.jobs} == {"bronze", "silver", "gold"}


def test_dagster_definitions_validate_passes(tmp_path):
    """From the repository root, `[tool.dagster]` in pyproject.toml names the module."""
    done = subprocess.run([str(BIN / "dagster"), "definitions", "validate"], cwd=REPO, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait_for_assets(port: int, server: subprocess.Popen, deadline: float) -> dict:
    while time.monotonic() < deadline:
        assert server.poll() is None, "dagster-webserver exited early"
        try:
            nodes = _graphql(port, QUERY)["data"]["assetNodes"]
            if nodes:
                return {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
        except (OSError, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError("dagster-webserver did not serve the asset graph in time")


def _stop(server: subprocess.Popen) -> int:
    """SIGINT to the webserver's PID, as Ctrl-C would; escalate only within its own process group."""
    server.send_signal(signal.SIGINT)
    try:
        return server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        return server.wait(timeout=10)


@pytest.mark.slow
def test_webserver_serves_the_asset_graph(tmp_path):
    port = _free_port()
    log = (tmp_path / "webserver.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-m", "definitions.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=_env(tmp_path), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        groups = _wait_for_assets(port, server, time.monotonic() + 120)
    finally:
        code = _stop(server)
        log.close()
    assert groups == GROUPS
    assert code == 0 or code == -signal.SIGINT, (tmp_path / "webserver.log").read_text()[-3000:]
