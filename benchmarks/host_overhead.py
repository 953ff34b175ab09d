"""Per-node overhead in each host and granularity: a chain of N trivial SQL nodes run in-process
(``run_project``), under Dagster (``execute_in_process``) and under Airflow (``dag.test()``), one step per node
and one step per pipeline, against raw DuckDB running the same N queries in the same run.

Run: python -m benchmarks.host_overhead [--nodes 50 500] [--variants ...]
Each variant runs in its own process (a fresh interpreter, as a host's worker is); the time measured is the
run only (the project is compiled and its Plan cached before). Goals in node granularity: Dagster <= 30 ms
a node, Airflow ``dag.test()`` <= 100 ms a node.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("duckdb", "in-process", "dagster-node", "dagster-pipeline", "airflow-node", "airflow-pipeline")
GOALS_MS = {"dagster-node": 30.0, "airflow-node": 100.0}


def project(root: Path, nodes: int) -> Path:
    """A chain of ``nodes`` nodes: a one-row CSV read, then ``x + 1`` on the previous node, the last written."""
    lines = ["project: overhead", "connections:", "  raw: {type: local, base_path: data}",
             "  lake: {type: local, base_path: lake}", "story: {enabled: false}",
             "system: {connection: lake, path: _system}", "pipelines:", "  - pipeline: p", "    nodes:",
             "      - {name: n0, read: {connection: raw, format: csv, path: one.csv}}"]
    lines += [f"      - {{name: n{i}, depends_on: [n{i - 1}], transform: {{steps: ['SELECT x + 1 AS x FROM df']}}}}"
              for i in range(1, nodes - 1)]
    lines.append(f"      - {{name: n{nodes - 1}, depends_on: [n{nodes - 2}], transform: {{steps: "
                 f"['SELECT x + 1 AS x FROM df']}}, write: {{connection: lake, format: parquet, path: last.parquet}}}}")
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "one.csv").write_text("x\n1\n")
    (root / "odibi.yaml").write_text("\n".join(lines) + "\n")
    return root / "odibi.yaml"


def run_variant(variant: str, root: Path, nodes: int) -> float:
    """Seconds for one run of ``variant`` (in this process)."""
    path = project(root, nodes)
    if variant == "duckdb":
        import duckdb

        started = time.perf_counter()
        con = duckdb.connect()
        frame = con.sql(f"SELECT * FROM read_csv('{root / 'data' / 'one.csv'}')").to_arrow_table()
        for _ in range(1, nodes):
            con.register("prev", frame)
            frame = con.sql("SELECT x + 1 AS x FROM prev").to_arrow_table()
        return time.perf_counter() - started
    from odibi_provider.plan.cache import load_plan

    load_plan(path)  # compiled and cached once, as a deployed project is
    if variant == "in-process":
        from odibi_provider.runner import run_project

        started = time.perf_counter()
        assert run_project(path, workers=1).ok
        return time.perf_counter() - started
    granularity = variant.split("-", 1)[1]
    if variant.startswith("dagster"):
        import dagster as dg

        from odibi_provider.dagster import build_definitions

        job = build_definitions(path, granularity=granularity).resolve_implicit_global_asset_job_def()
        instance = dg.DagsterInstance.ephemeral()
        started = time.perf_counter()
        assert job.execute_in_process(instance=instance, raise_on_error=False).success
        return time.perf_counter() - started
    return _airflow(path, root, granularity)


def _airflow(path: Path, root: Path, granularity: str) -> float:
    home = root / "airflow"
    os.environ.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                       "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                       "AIRFLOW__CORE__DAGS_FOLDER": str(home), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"})
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.utils import db

    from odibi_provider.airflow import build_dags

    db.initdb()
    DagBundlesManager().sync_bundles_to_db()
    (dag,) = build_dags(path, granularity=granularity).values()
    bag = DagBag(dag_folder=str(home), collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    started = time.perf_counter()
    run = dag.test()
    elapsed = time.perf_counter() - started
    assert str(getattr(run.state, "value", run.state)) == "success"
    return elapsed


def measure(variant: str, nodes: int) -> float:
    with tempfile.TemporaryDirectory(prefix="odibi-overhead-") as tmp:
        out = subprocess.run([sys.executable, "-m", "benchmarks.host_overhead", "--child", variant, str(nodes), tmp],
                             cwd=REPO, check=True, capture_output=True, text=True)
        return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "NODES", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, nodes, folder = args.child
        print(json.dumps({"seconds": run_variant(variant, Path(folder), int(nodes))}))
        return
    for nodes in args.nodes:
        raw = measure("duckdb", nodes) / nodes
        print(f"\n{nodes} trivial nodes in a chain (raw DuckDB: {raw * 1000:.2f} ms a query)")
        for variant in [v for v in args.variants if v != "duckdb"]:
            per_node = measure(variant, nodes) / nodes
            overhead_ms = (per_node - raw) * 1000
            goal = f"  (goal <= {GOALS_MS[variant]:.0f} ms)" if variant in GOALS_MS else ""
            print(f"{variant:>17}: {per_node * 1000:8.1f} ms a node, overhead {overhead_ms:7.1f} ms{goal}", flush=True)


if __name__ == "__main__":
    main()
