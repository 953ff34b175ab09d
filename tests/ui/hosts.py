"""The host UIs as a user starts them: ``dagster dev`` with ``odibi-provider serve-stories`` beside it, and an
Airflow 3 api-server, scheduler and dag-processor (``benchmarks/airflow_live.py``'s ``Deployment``), each on a
free 127.0.0.1 port with a temporary home; logs are kept under that home and named in every timeout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from benchmarks.airflow_live import Deployment, free_port, running

BIN = Path(sys.executable).parent
T = TypeVar("T")


def wait_until(what: str, probe: Callable[[], T | None], timeout: float, logs: str) -> T:
    """Poll ``probe()`` until it returns a value; on timeout, fail naming ``what`` and the logs to read."""
    deadline = time.monotonic() + timeout
    while True:
        with suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            if (value := probe()) is not None:
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}; see {logs}")
        time.sleep(0.3)


def answers(url: str) -> bool | None:
    """True when ``url`` answers 200 (None while it does not)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return True if response.status == 200 else None


@contextmanager
def process(command: list[str], log: Path, env: Mapping[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group for the block; then SIGTERM the group, SIGKILL after 15 s."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(wait)


class DagsterUI:
    """``dagster dev`` over a project, with its stories served over HTTP as the README says."""

    def __init__(self, home: Path, project: Path) -> None:
        self.home, self.project = home, project
        self.port, self.story_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.story_base_url = f"http://localhost:{self.story_port}"  # the README's ODIBI_STORY_BASE_URL form
        (home / "dagster_home").mkdir(parents=True)
        (home / "defs.py").write_text("from odibi_provider.dagster import build_definitions\n\n"
                                      f"defs = build_definitions({str(project)!r})\n", encoding="utf-8")
        self.env = {**os.environ, "DAGSTER_HOME": str(home / "dagster_home"),
                    "ODIBI_STORY_BASE_URL": self.story_base_url}

    @contextmanager
    def running(self, timeout: float) -> Iterator[DagsterUI]:
        """Both servers answer inside the block."""
        logs = f"{self.home / 'dagster-dev.log'} and {self.home / 'serve-stories.log'}"
        stories = [str(BIN / "odibi-provider"), "serve-stories", str(self.project), "--port", str(self.story_port)]
        dev = [str(BIN / "dagster"), "dev", "-f", "defs.py", "-h", "127.0.0.1", "-p", str(self.port)]
        with process(stories, self.home / "serve-stories.log", self.env, self.home), \
                process(dev, self.home / "dagster-dev.log", self.env, self.home):
            wait_until("odibi-provider serve-stories", lambda: answers(f"{self.story_base_url}/"), timeout, logs)
            wait_until("dagster dev", lambda: answers(f"{self.url}/server_info"), timeout, logs)
            yield self


class AirflowUI:
    """An Airflow 3 deployment (api-server, scheduler, dag-processor; all users admins) running ``dag_id``,
    served below ``base_path`` (``[api] base_url``'s path, as behind a path-routing ingress)."""

    def __init__(self, home: Path, project: Path, pipeline: str, base_path: str = "") -> None:
        self.deployment = dep = Deployment(home)
        dep.url += base_path  # the UI, the API and the execution API all live below it
        dep.env.update({"AIRFLOW__API__BASE_URL": dep.url,
                        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{dep.url}/execution/"})
        self.dag_id = f"{project.name}_{pipeline}"
        dags = home / "dags"
        dags.mkdir(parents=True)
        (dags / "odibi_dags.py").write_text("from odibi_provider.airflow import build_dag\n\n"
                                            f"dag = build_dag({str(project)!r}, {pipeline!r})\n", encoding="utf-8")
        self.run_id = ""

    @property
    def url(self) -> str:
        """The UI's base URL (``[api] base_url``)."""
        return self.deployment.url

    @property
    def origin(self) -> str:
        """Scheme, host and port: what a link starting with ``/`` is relative to."""
        return f"http://127.0.0.1:{self.deployment.port}"

    @contextmanager
    def running(self, timeout: float) -> Iterator[AirflowUI]:
        """The components run inside the block; the DAG has been triggered once through the REST API and
        succeeded (``run_id``)."""
        dep = self.deployment
        dep.migrate()
        with running(dep):
            dep.login(timeout)
            dep.wait_for(f"the dag-processor to parse {self.dag_id}", timeout, lambda: dep.dag(self.dag_id))
            dep.api("PATCH", f"/api/v2/dags/{self.dag_id}", {"is_paused": False})
            self.run_id = dep.api("POST", f"/api/v2/dags/{self.dag_id}/dagRuns", {"logical_date": None})["dag_run_id"]
            state = dep.wait_for(f"run {self.run_id} of {self.dag_id} to finish", timeout,
                                 lambda: self._finished(self.run_id))
            assert state == "success", f"{self.dag_id} run {self.run_id} ended {state}; {dep.log_hint()}"
            yield self

    def _finished(self, run_id: str) -> str | None:
        state = str(self.deployment.runs(self.dag_id)[run_id]["state"])
        return state if state in ("success", "failed") else None

    def task_page(self, task_id: str) -> str:
        """The UI page of the run's ``task_id`` instance."""
        return f"{self.url}/dags/{self.dag_id}/runs/{quote(self.run_id, safe='')}/tasks/{task_id}"
