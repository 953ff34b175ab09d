"""What the Dockerfile runs: ``docker/build_plan.py`` bakes the Plan into the plan cache, and a fresh
process started as a container starts (same ``ODIBI_PROJECT``, ``ODIBI_ENV``, ``ODIBI_PROVIDER_CACHE_DIR``)
loads it, and builds the Dagster code location and the Airflow DAGs, without compiling. No docker daemon
here: the Dockerfile itself is checked for referring only to files that exist and to the same paths."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from odibi_provider.plan.cache import CACHE_DIR_ENV
from tests.conftest import REPO

DOCKERFILE = REPO / "Dockerfile"
NO_COMPILE = """
import sys
import odibi_provider.manifest.loader as loader
import odibi_provider.plan.compiler as compiler

def recompiled(*args, **kwargs):
    raise SystemExit("the container recompiled the Plan")

compiler.compile_plan = loader.load_project = recompiled
"""


def _python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The image's layout: the project at ODIBI_PROJECT, build_plan.py run on it into the cache dir."""
    root = tmp_path_factory.mktemp("image")
    project = root / "project"
    shutil.copytree(REPO / "examples" / "retail", project, ignore=shutil.ignore_patterns("output", ".odibi"))
    env = {**os.environ, "ODIBI_PROJECT": str(project), CACHE_DIR_ENV: str(root / "plan-cache"),
           "ODIBI_ENV": "", "AIRFLOW_HOME": str(root / "airflow"), "PYTHONPATH": str(REPO)}
    built = subprocess.run([sys.executable, str(REPO / "docker" / "build_plan.py"), str(project)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "plan of retail (8 nodes" in built.stdout
    return root, env


def test_the_build_writes_the_plan_cache(image: tuple[Path, dict[str, str]]) -> None:
    root, _ = image
    assert [p.name.startswith("plan-") for p in (root / "plan-cache").iterdir()] == [True]
    assert not (root / "project" / ".odibi").exists(), "the cache goes where the image says, not the project"


def test_a_fresh_process_loads_the_plan_without_compiling(image: tuple[Path, dict[str, str]]) -> None:
    root, env = image
    loaded = _python(NO_COMPILE + "from odibi_provider.plan import load_plan\n"
                     f"print(len(load_plan({str(root / 'project')!r}).nodes))", env, root)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "8"


def test_the_code_location_module_starts_from_the_cache(image: tuple[Path, dict[str, str]]) -> None:
    root, env = image
    started = _python(NO_COMPILE + f"sys.path.insert(0, {str(REPO / 'docker')!r})\nimport code_location\n"
                      "print(len(list(code_location.defs.resolve_asset_graph().get_all_asset_keys())))", env, root)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().splitlines()[-1] == "11"  # 8 nodes, 3 raw inputs


def test_the_dag_file_parses_from_the_cache(image: tuple[Path, dict[str, str]]) -> None:
    root, env = image
    parsed = _python(NO_COMPILE + "import runpy\n"
                     f"dags = runpy.run_path({str(REPO / 'docker' / 'dags' / 'odibi_project.py')!r})\n"
                     "print(sorted(k for k in dags if k.startswith('retail_')))", env, root)
    assert parsed.returncode == 0, parsed.stderr
    assert parsed.stdout.strip().splitlines()[-1] == "['retail_bronze', 'retail_gold', 'retail_silver']"


def test_an_invalid_project_fails_the_build_with_its_location(tmp_path: Path) -> None:
    (tmp_path / "odibi.yaml").write_text("project: broken\npipelines:\n  - pipeline: p\n    nodez: []\n",
                                         encoding="utf-8")
    built = subprocess.run([sys.executable, str(REPO / "docker" / "build_plan.py"), str(tmp_path)],
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, CACHE_DIR_ENV: str(tmp_path / "cache")})
    assert built.returncode == 1
    assert "odibi.yaml:4" in built.stderr and "nodez" in built.stderr


# --- the Dockerfile's structure -----------------------------------------------------------------------------

def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for op, args in _instructions():
        if op == "FROM":
            current = stages.setdefault(args.split(" AS ")[-1].strip(), [])
        current.append((op, args))
    return stages


def _defaults(stage: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for op, args in stage:
        if op == "ARG" and "=" in args:
            name, value = args.split("=", 1)
            found[name] = value
        if op == "ENV":
            found.update(dict(part.split("=", 1) for part in shlex.split(args)))
    return found


def test_the_dockerfile_has_a_code_location_and_an_airflow_target() -> None:
    assert set(_stages()) == {"code-location", "airflow"}


@pytest.mark.parametrize("stage", ["code-location", "airflow"])
def test_every_copied_file_exists_and_the_extras_are_declared(stage: str) -> None:
    instructions = _stages()[stage]
    defaults = _defaults(instructions)
    for op, args in instructions:
        if op == "COPY":
            for source in shlex.split(args)[:-1]:
                path = source.replace("${PROJECT}", defaults["PROJECT"])
                assert (REPO / path).exists(), f"{stage}: COPY {source} names no file in the repository"
    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(defaults["EXTRAS"].split(",")) <= set(extras)
    assert ("dagster" if stage == "code-location" else "airflow") in defaults["EXTRAS"].split(",")


@pytest.mark.parametrize("stage", ["code-location", "airflow"])
def test_the_plan_is_built_where_containers_look_for_it(stage: str) -> None:
    instructions = _stages()[stage]
    env = _defaults(instructions)
    assert env[CACHE_DIR_ENV] and env["ODIBI_PROJECT"] == "/opt/odibi/project"
    runs = " && ".join(args for op, args in instructions if op == "RUN")
    assert f"python /opt/odibi/build_plan.py {env['ODIBI_PROJECT']}" in runs
    copied = {shlex.split(args)[-1].rstrip("/") for op, args in instructions if op == "COPY"}
    assert "/opt/odibi" in copied or "/opt/odibi/build_plan.py" in copied


def test_the_code_location_command_serves_the_baked_module() -> None:
    stage = _stages()["code-location"]
    [cmd] = [args for op, args in stage if op == "CMD"]
    argv = json.loads(cmd)
    assert argv[:3] == ["dagster", "api", "grpc"]
    module = argv[argv.index("--module-name") + 1]
    assert (REPO / "docker" / f"{module}.py").is_file()
    assert argv[argv.index("--working-directory") + 1] == "/opt/odibi"


def test_the_code_server_answers_its_health_probe_without_compiling(image: tuple[Path, dict[str, str]],
                                                                    tmp_path: Path) -> None:
    """The container's CMD and the chart's probe: ``dagster api grpc -m code_location`` serves the baked
    definitions and ``dagster api grpc-health-check`` passes; compiling would leave a marker file."""
    _, env = image
    marker = tmp_path / "recompiled"
    (tmp_path / "sitecustomize.py").write_text(
        "import odibi_provider.manifest.loader as loader, odibi_provider.plan.compiler as compiler\n"
        "def recompiled(*args, **kwargs):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    raise RuntimeError('recompiled')\n"
        "compiler.compile_plan = loader.load_project = recompiled\n", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    dagster = [str(Path(sys.executable).parent / "dagster"), "api"]
    server_env = {**env, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}", "DAGSTER_HOME": str(tmp_path)}
    server = subprocess.Popen([*dagster, "grpc", "--host", "127.0.0.1", "--port", port, "--module-name",
                               "code_location", "--working-directory", str(REPO / "docker")],
                              env=server_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            health = subprocess.run([*dagster, "grpc-health-check", "--port", port], env=server_env,
                                    capture_output=True, text=True, timeout=60)
            if health.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(1)
        assert health.returncode == 0, health.stdout + health.stderr
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Started Dagster code server" in output and "Error" not in output, output
    assert not marker.exists(), "the code server compiled the Plan instead of loading the baked cache"
