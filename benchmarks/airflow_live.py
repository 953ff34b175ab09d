"""A real Airflow run on this machine: the retail example under a local api-server, scheduler and dag-processor.

Run: python benchmarks/airflow_live.py [--granularity node pipeline] [--runs 2] [--keep]
Per granularity, a fresh AIRFLOW_HOME in a temporary directory (SQLite, the LocalExecutor, which Airflow 3
allows with SQLite: the SequentialExecutor and its SQLite-only rule are gone) gets ``airflow db migrate``, then
the three components on 127.0.0.1 (output in ``<home>/logs/*.log``), a DAG file building the retail example's
DAGs (a copy of examples/retail) with ``build_dags``. retail_bronze is triggered through the REST API and timed
until retail_silver and retail_gold, triggered by bronze's and silver's Assets, are done. For reference, the
same work as one in-process ``run_project`` and as a hand-written DuckDB script, each in its own process.
Default Airflow settings (only what a local deployment must set); no goal, the figures are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
DAGS = ("retail_bronze", "retail_silver", "retail_gold")
COMPONENTS = ("api-server", "scheduler", "dag-processor")
DAG_FILE = '''"""The retail example's DAGs, {granularity} granularity (written by benchmarks/airflow_live.py)."""
from odibi_provider.airflow import build_dags

globals().update(build_dags({project!r}, granularity={granularity!r}))
'''


class BenchmarkError(RuntimeError):
    """A step of the live run failed or timed out; the message names the logs to read."""


class WaitTimeout(BenchmarkError):
    """Something awaited did not happen in time."""


@dataclass(frozen=True)
class DagTiming:
    """One DAG run as the API reports it: seconds from the trigger to queued, started and ended."""

    dag_id: str
    queued: float
    started: float
    ended: float
    tasks: int
    task_seconds: float


@dataclass(frozen=True)
class LiveRun:
    """One trigger of retail_bronze until all three DAGs are done."""

    wall: float
    dags: tuple[DagTiming, ...]


def copy_retail(target: Path) -> Path:
    """A fresh copy of examples/retail (no outputs, no plan cache)."""
    shutil.copytree(REPO / "examples" / "retail", target, ignore=shutil.ignore_patterns("output", ".odibi"))
    return target


def check_outputs(project: Path) -> None:
    """The gold marts exist: the run really did the work."""
    for name in ("revenue_by_customer_day.parquet", "top_products.csv"):
        path = project / "output" / "lake" / "gold" / name
        if not path.exists() or path.stat().st_size == 0:
            raise BenchmarkError(f"{path} was not written")


# -- references, each in its own process ---------------------------------------------------------------------

def raw_duckdb(project: Path) -> float:
    """The retail example's work by hand: DuckDB SQL, Parquet/CSV files and one Delta table."""
    import duckdb
    from deltalake import write_deltalake

    data, lake = project / "data", project / "output" / "lake"
    for layer in ("bronze", "silver", "gold", "quarantine"):
        (lake / layer).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{data}/orders.csv', header=true, all_varchar=true, "
                f"ignore_errors=true, strict_mode=false)) TO '{lake}/bronze/orders.parquet'")
    con.execute(f"COPY (SELECT * FROM read_json_auto('{data}/customers.json')) TO '{lake}/bronze/customers.parquet'")
    con.execute(f"COPY (SELECT * FROM '{data}/products.parquet') TO '{lake}/bronze/products.parquet'")
    con.execute(f"""CREATE TABLE orders AS SELECT *, round(quantity * unit_price, 2) AS line_total FROM (
        SELECT order_id, customer_id, product_id, TRY_CAST(quantity AS INTEGER) AS quantity,
               TRY_CAST(unit_price AS DOUBLE) AS unit_price, TRY_CAST(order_ts AS TIMESTAMP) AS order_ts
        FROM '{lake}/bronze/orders.parquet'
        QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY order_ts DESC) = 1)""")
    good = "order_id IS NOT NULL AND customer_id IS NOT NULL AND quantity IS NOT NULL AND order_ts IS NOT NULL " \
           "AND quantity >= 1"
    con.execute(f"COPY (SELECT * FROM orders WHERE NOT ({good})) TO '{lake}/quarantine/orders.parquet'")
    con.execute(f"DELETE FROM orders WHERE NOT ({good})")
    assert con.execute("SELECT count(*) - count(DISTINCT order_id) FROM orders").fetchall() == [(0,)]
    write_deltalake(str(lake / "silver" / "orders"), con.sql("FROM orders").to_arrow_table(), mode="overwrite")
    con.execute(f"""CREATE TABLE customers AS SELECT cust_id AS customer_id, trim(name) AS name,
        lower(email) AS email, country FROM '{lake}/bronze/customers.parquet'""")
    assert con.execute("SELECT count(*) - count(DISTINCT customer_id) FROM customers").fetchall() == [(0,)]
    con.execute(f"COPY customers TO '{lake}/silver/customers.parquet'")
    con.execute(f"CREATE TABLE products AS FROM '{lake}/bronze/products.parquet'")
    con.execute(f"COPY products TO '{lake}/silver/products.parquet'")
    con.execute(f"""COPY (SELECT o.customer_id, c.name AS customer_name, CAST(o.order_ts AS DATE) AS order_date,
        count(*) AS orders, round(sum(o.line_total), 2) AS revenue FROM orders o JOIN customers c USING (customer_id)
        GROUP BY ALL ORDER BY order_date, customer_id) TO '{lake}/gold/revenue_by_customer_day.parquet'""")
    con.execute(f"""COPY (SELECT p.product_id, p.product_name, p.category, sum(o.quantity) AS units,
        round(sum(o.line_total), 2) AS revenue FROM orders o JOIN products p USING (product_id)
        GROUP BY ALL ORDER BY revenue DESC LIMIT 10) TO '{lake}/gold/top_products.csv'""")
    return time.perf_counter() - started


def in_process(project: Path) -> float:
    """One ``run_project`` of the whole project (Plan compiled and cached first, as the DAG processor does)."""
    from odibi_provider.plan.cache import load_plan
    from odibi_provider.runner import run_project

    load_plan(project / "odibi.yaml")
    started = time.perf_counter()
    result = run_project(project / "odibi.yaml")
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise BenchmarkError(f"run_project failed: {result.failed}")
    return elapsed


def reference(variant: str, tmp: Path) -> float:
    """Seconds of ``variant`` ("duckdb" or "in-process") run in a fresh interpreter on a fresh copy."""
    project = copy_retail(tmp / f"ref-{variant}")
    out = subprocess.run([sys.executable, "-m", "benchmarks.airflow_live", "--child", variant, str(project)],
                         cwd=REPO, capture_output=True, text=True)
    if out.returncode != 0:
        raise BenchmarkError(f"the {variant} reference failed:\n{out.stderr[-3000:]}")
    check_outputs(project)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


# -- the live deployment ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Deployment:
    """An AIRFLOW_HOME with its three components running; ``stop`` ends them (process groups, then SIGKILL)."""

    def __init__(self, home: Path) -> None:
        self.home, self.logs, self.port = home, home / "logs", free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
                    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                    "AIRFLOW__API__BASE_URL": self.url, "AIRFLOW__API__PORT": str(self.port),
                    "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
                    "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(64),
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.token = ""
        self.logs.mkdir(parents=True, exist_ok=True)

    def log_hint(self) -> str:
        return f"see the logs in {self.logs} ({', '.join(f'{c}.log' for c in COMPONENTS)}, task logs in dag_id=*/)"

    def migrate(self) -> float:
        started = time.perf_counter()
        with open(self.logs / "db-migrate.log", "wb") as log:
            try:
                code = subprocess.run([AIRFLOW, "db", "migrate"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      timeout=600).returncode
            except subprocess.TimeoutExpired:
                code = -1
        if code != 0:
            raise BenchmarkError(f"`airflow db migrate` failed ({code}); see {self.logs / 'db-migrate.log'}")
        return time.perf_counter() - started

    def start(self) -> None:
        commands = {"api-server": ["api-server", "-H", "127.0.0.1", "-p", str(self.port), "-w", "1"],
                    "scheduler": ["scheduler"], "dag-processor": ["dag-processor"]}
        for name in COMPONENTS:
            with open(self.logs / f"{name}.log", "wb") as log:
                self.processes[name] = subprocess.Popen([AIRFLOW, *commands[name]], env=self.env, stdout=log,
                                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                        start_new_session=True)

    def stop(self) -> None:
        print("  stopping the Airflow components (up to 30 s: running tasks end first)", flush=True)
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            _signal_group(process, signal.SIGKILL)  # also the executor's workers left behind
            process.wait()
        self.processes.clear()

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise BenchmarkError(f"the {name} exited ({process.returncode}); see {self.logs / f'{name}.log'}")

    def wait_for(self, what: str, timeout: float, probe: Any) -> Any:
        """Poll ``probe()`` until it returns a true value; a timeout or a dead component is a located error."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            try:
                value = probe()
            except urllib.error.HTTPError as error:
                if error.code not in (404, 502, 503):  # not there yet; anything else is an answer to report
                    raise BenchmarkError(f"{error.url} answered {error.code} while waiting for {what}: "
                                         f"{error.read()[:500]!r}; {self.log_hint()}") from None
                value = None
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {timeout:.0f} s waiting for {what}; {self.log_hint()}")
            time.sleep(0.2)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def login(self, timeout: float) -> None:
        self.token = self.wait_for("the api-server", timeout, lambda: self.api("GET", "/auth/token")["access_token"])

    def runs(self, dag_id: str) -> dict[str, dict[str, Any]]:
        runs = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]
        return {run["dag_run_id"]: run for run in runs}

    def dag(self, dag_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api("GET", f"/api/v2/dags/{dag_id}")
        return found


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


@contextmanager
def running(deployment: Deployment) -> Iterator[Deployment]:
    """The components run inside the block and are stopped on leaving it, also on failure, Ctrl-C or SIGTERM."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _seconds(stamp: str | None, since: float) -> float:
    return datetime.fromisoformat(stamp).timestamp() - since if stamp else float("nan")


def trigger_and_wait(dep: Deployment, timeout: float) -> LiveRun:
    """Trigger retail_bronze; wait until a new run of each of the three DAGs has succeeded."""
    seen = {dag_id: set(dep.runs(dag_id)) for dag_id in DAGS}
    since, started = time.time(), time.perf_counter()
    dep.api("POST", "/api/v2/dags/retail_bronze/dagRuns", {"logical_date": None})

    states: dict[str, list[str]] = {}

    def done() -> dict[str, dict[str, Any]] | None:
        new = {dag_id: [r for i, r in dep.runs(dag_id).items() if i not in seen[dag_id]] for dag_id in DAGS}
        states.update({dag_id: [r["state"] for r in runs] for dag_id, runs in new.items()})
        for dag_id, runs in new.items():
            for run in runs:
                if run["state"] == "failed":
                    raise BenchmarkError(f"{dag_id} run {run['dag_run_id']} failed; see the task logs in "
                                         f"{dep.logs / f'dag_id={dag_id}'} and {dep.log_hint()}")
        if all(runs and runs[0]["state"] == "success" for runs in new.values()):
            return {dag_id: runs[0] for dag_id, runs in new.items()}
        return None

    try:
        finished = dep.wait_for("retail_bronze, retail_silver and retail_gold to finish", timeout, done)
    except WaitTimeout as error:
        raise WaitTimeout(f"{error} (new runs by DAG: {states or 'none'})") from None
    wall = time.perf_counter() - started
    timings = []
    for dag_id in DAGS:
        run = finished[dag_id]
        tasks = dep.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")["task_instances"]
        timings.append(DagTiming(dag_id, _seconds(run["queued_at"], since), _seconds(run["start_date"], since),
                                 _seconds(run["end_date"], since), len(tasks),
                                 sum(t["duration"] or 0.0 for t in tasks)))
    return LiveRun(wall, tuple(timings))


def live_round(granularity: str, tmp: Path, runs: int, timeout: float) -> tuple[float, float, float, list[LiveRun]]:
    """Seconds of db migrate, start to api-server answering, start to DAGs parsed; the timed runs."""
    root = tmp / granularity
    project = copy_retail(root / "retail")
    dep = Deployment(root / "home")
    (dep.home / "dags").mkdir(parents=True)
    (dep.home / "dags" / "retail_live.py").write_text(DAG_FILE.format(project=str(project), granularity=granularity))
    print(f"\n[{granularity}] AIRFLOW_HOME={dep.home}", flush=True)
    migrate = dep.migrate()
    with running(dep):
        started = time.perf_counter()
        dep.login(timeout)
        answering = time.perf_counter() - started
        dep.wait_for("the dag-processor to parse the retail DAGs", timeout, lambda: all(dep.dag(d) for d in DAGS))
        ready = time.perf_counter() - started
        for dag_id in DAGS:
            if dep.dag(dag_id)["is_paused"]:
                if dag_id != "retail_bronze":
                    print(f"  note: {dag_id} was created paused (asset-scheduled DAGs should not be); unpausing")
                dep.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        results = [trigger_and_wait(dep, timeout) for _ in range(runs)]
    check_outputs(project)
    return migrate, answering, ready, results


def report(granularity: str, migrate: float, answering: float, ready: float, results: list[LiveRun], raw: float,
           inproc: float) -> None:
    print(f"[{granularity}] db migrate {migrate:.1f} s; components started -> api-server answering {answering:.1f} s,"
          f" -> DAGs in the API {ready:.1f} s")
    for number, run in enumerate(results, 1):
        print(f"  run {number}: trigger -> all three done {run.wall:6.2f} s = {run.wall / raw:5.0f}x raw DuckDB, "
              f"{run.wall / inproc:5.1f}x run_project")
        for t in run.dags:
            print(f"    {t.dag_id:<14} queued +{t.queued:6.2f} s  started +{t.started:6.2f} s  ended +{t.ended:6.2f} s"
                  f"  ({t.tasks} tasks, {t.task_seconds:5.2f} s in tasks)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--granularity", nargs="+", choices=["node", "pipeline"], default=["node", "pipeline"])
    parser.add_argument("--runs", type=int, default=2, help="triggers per granularity (the first one is cold)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each step")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes and logs")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "PROJECT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, folder = args.child
        seconds = raw_duckdb(Path(folder)) if variant == "duckdb" else in_process(Path(folder))
        print(json.dumps({"seconds": seconds}))
        return
    import airflow

    tmp = Path(tempfile.mkdtemp(prefix="odibi-airflow-live-"))
    try:
        raw, inproc = reference("duckdb", tmp), reference("in-process", tmp)
        print(f"Airflow {airflow.__version__}, LocalExecutor, SQLite, {os.cpu_count()} cores; retail example "
              f"(bronze 3 nodes -> silver 3 -> gold 2, chained by Assets)")
        print(f"reference: raw DuckDB {raw:.2f} s; in-process run_project {inproc:.2f} s ({inproc / raw:.1f}x raw)",
              flush=True)
        for granularity in args.granularity:
            report(granularity, *live_round(granularity, tmp, args.runs, args.timeout), raw, inproc)
    except (BenchmarkError, urllib.error.URLError) as error:  # an HTTP error outside a wait: see api-server.log
        args.keep = True
        raise SystemExit(f"airflow_live: {error}") from None
    except KeyboardInterrupt:
        args.keep = True
        raise SystemExit(f"airflow_live: interrupted; components stopped; files kept in {tmp}") from None
    finally:
        if args.keep:
            print(f"files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
