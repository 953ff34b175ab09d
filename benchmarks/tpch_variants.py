"""The three ways the medallion benchmark does the same work: odibi (run_project), raw DuckDB, plain pandas.

Each variant runs in its own subprocess (``python -m benchmarks.tpch_variants VARIANT DATA OUT``) so the
parent can read that child's own peak memory (``os.wait4``). A variant that first does what a deployment does
once (the Airflow variants) writes how long that took to ``OUT/.setup.json``; the parent reports it apart.
Every variant ends its process with ``os._exit`` once its work returned (files written), so no variant's
interpreter teardown is timed.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.tpch_queries import QUERIES, TABLES, silver_sql


def project_yaml(data: Path, out: Path, *, engine: str = "pandas") -> str:
    """The odibi project: bronze (CSV -> Parquet), silver (typed), gold (Q1, Q3, Q5, Q6, Q10)."""
    bronze = [f"      - name: {t}\n"
              f"        read: {{connection: raw, format: csv, path: {t}.csv, options: {{header: true}}}}\n"
              f"        write: {{connection: lake, format: parquet, path: bronze/{t}.parquet}}" for t in TABLES]
    silver = [f"      - name: {t}\n        inputs: {{src: $bronze.{t}}}\n"
              f"        transform: {{steps: [{{sql: \"{silver_sql(t, 'src')}\"}}]}}\n"
              f"        write: {{connection: lake, format: parquet, path: silver/{t}.parquet}}" for t in TABLES]
    gold = []
    for name, (tables, sql) in QUERIES.items():
        inputs = ", ".join(f"{t}: $silver.{t}" for t in tables)
        body = textwrap.indent(textwrap.dedent(sql).strip(), " " * 14)
        gold.append(f"      - name: {name}\n        inputs: {{{inputs}}}\n        transform:\n          steps:\n"
                    f"            - |\n{body}\n"
                    f"        write: {{connection: lake, format: parquet, path: gold/{name}.parquet}}")
    return (f"project: tpch\nengine: {engine}\nconnections:\n  raw: {{type: local, base_path: '{data}'}}\n"
            f"  lake: {{type: local, base_path: '{out}'}}\nstory: {{connection: lake, path: _stories}}\n"
            f"system: {{connection: lake, path: _system}}\npipelines:\n"
            f"  - pipeline: bronze\n    layer: bronze\n    nodes:\n" + "\n".join(bronze) + "\n"
            "  - pipeline: silver\n    layer: silver\n    nodes:\n" + "\n".join(silver) + "\n"
            "  - pipeline: gold\n    layer: gold\n    nodes:\n" + "\n".join(gold) + "\n")


def run_odibi(data: Path, out: Path) -> None:
    from odibi_provider.runner import run_project

    workers = int(os.environ.get("ODIBI_BENCH_WORKERS", "2"))
    result = run_project(_write_project(data, out), workers=workers)
    if not result.ok:
        raise SystemExit(f"odibi run failed: {[(r.node_id, r.error) for r in result.results if r.error]}")


def _write_project(data: Path, out: Path) -> Path:
    (out / "project").mkdir(parents=True, exist_ok=True)
    project = out / "project" / "odibi.yaml"
    project.write_text(project_yaml(data, out), encoding="utf-8")
    return project


def run_dagster(data: Path, out: Path, granularity: str = "node") -> None:
    """The same project as Dagster assets, materialized with the in-process executor.

    Setup (reported apart, as the Airflow variants' is) is Dagster's own start in the process: importing Dagster
    and creating its instance. Building the definitions from the project and the run are timed."""
    _, instance = _dagster_instance(out)
    from odibi_provider.dagster import build_definitions

    defs = build_definitions(_write_project(data, out), granularity=granularity)
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        raise SystemExit("dagster run failed")


def run_dagster_floor(data: Path, out: Path) -> None:
    """Dagster's own floor: the raw DuckDB script as one plain ``@asset``, with the same setup accounting."""
    dg, instance = _dagster_instance(out)

    @dg.asset(name="tpch_raw_duckdb")
    def raw_script() -> None:
        run_duckdb(data, out)

    result = dg.materialize([raw_script], instance=instance, raise_on_error=False)
    if not result.success:
        raise SystemExit("dagster floor run failed")


def _dagster_instance(out: Path) -> tuple[Any, Any]:
    """Dagster's own setup, timed and written as this variant's setup: importing Dagster, an ephemeral instance."""
    started, cpu = time.perf_counter(), _cpu_seconds()
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    _write_setup(out, time.perf_counter() - started, _cpu_seconds() - cpu)
    return dg, instance


def run_airflow(data: Path, out: Path, granularity: str = "node") -> None:
    """The same project as Airflow DAGs (bronze, silver, gold), each run with ``dag.test()``, one after another.

    Setup (written to ``OUT/.setup.json``, reported apart from the run) is what a deployment pays once, not per
    run: importing Airflow (workers fork their task processes from a process that has), the migrated metadata DB
    and its DAG bundle, and the Execution API (the api-server builds it at start; ``dag.test()`` builds it in
    process on its first task: about 6 s of CPU here), warmed here by one run of a one-task DAG. Everything else is
    in the run: building the DAGs from the project, storing them, and the three ``dag.test()`` runs.
    """
    home = _airflow_setup(out)
    from odibi_provider.airflow import build_dags

    dags = build_dags(_write_project(data, out), granularity=granularity)
    runs = _test_dags(home, dags, order=[f"tpch_{pipeline}" for pipeline in ("bronze", "silver", "gold")])
    for dag_id, state in runs.items():
        if state != "success":
            raise SystemExit(f"airflow {dag_id} run failed")


def run_airflow_floor(data: Path, out: Path) -> None:
    """Airflow's own floor: the raw DuckDB script as one ``PythonOperator`` task, with the same setup accounting."""
    home = _airflow_setup(out)
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    with DAG("tpch_raw_duckdb", schedule=None) as dag:
        PythonOperator(task_id="raw_script", python_callable=run_duckdb, op_args=[data, out])
    if _test_dags(home, {dag.dag_id: dag})[dag.dag_id] != "success":
        raise SystemExit("airflow floor run failed")


def _airflow_setup(out: Path) -> Path:
    """Airflow's setup, timed and written as this variant's setup (see :func:`run_airflow`); its AIRFLOW_HOME."""
    import tempfile

    started, cpu = time.perf_counter(), _cpu_seconds()
    home = Path(tempfile.mkdtemp(prefix="odibi-bench-airflow-"))
    template = os.environ.get("ODIBI_BENCH_AIRFLOW_DB")  # a migrated metadata DB: a deployment migrates once
    if template:
        shutil.copy(template, home / "airflow.db")
    airflow_env(home)
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.utils import db

    if not template:
        db.initdb()
    DagBundlesManager().sync_bundles_to_db()
    _test_dags(home, {"odibi_bench_warm_up": _warm_up_dag()})
    _write_setup(out, time.perf_counter() - started, _cpu_seconds() - cpu)
    return home


def _test_dags(home: Path, dags: dict[str, Any], order: list[str] | None = None) -> dict[str, str]:
    """Store ``dags`` in the metadata DB (as the dag-processor does) and run each (``order``, else all) with
    ``dag.test()``; the state of each run by DAG id."""
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    bag = DagBag(dag_folder=str(home), collect_dags=False)
    for dag in dags.values():
        bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    states = {}
    for dag_id in order or list(dags):
        run = dags[dag_id].test()
        states[dag_id] = str(getattr(run.state, "value", run.state))
    return states


def _warm_up_dag() -> Any:
    """A DAG of one task that does nothing: its ``dag.test()`` starts what the first task of a process starts."""
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    with DAG("odibi_bench_warm_up", schedule=None) as dag:
        PythonOperator(task_id="noop", python_callable=_noop)
    return dag


def _noop() -> None:
    return None


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _write_setup(out: Path, wall: float, cpu: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / ".setup.json").write_text(json.dumps({"wall": wall, "cpu": cpu}), encoding="utf-8")


def read_setup(out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the variant's untimed setup (zero when it had none)."""
    path = out / ".setup.json"
    if not path.exists():
        return 0.0, 0.0
    setup = json.loads(path.read_text(encoding="utf-8"))
    return float(setup["wall"]), float(setup["cpu"])


def airflow_env(home: Path) -> None:
    """Point Airflow at ``home`` (SQLite metadata DB, no examples); before Airflow is imported."""
    os.environ.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                       "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                       "AIRFLOW__CORE__DAGS_FOLDER": str(home)})


def migrate_airflow_db(home: Path) -> None:
    """Create the metadata DB the Airflow variants copy (``python -m benchmarks.tpch_variants migrate - HOME``)."""
    airflow_env(home)
    from airflow import settings
    from airflow.utils import db

    db.initdb()
    settings.dispose_orm()  # closes SQLite (its journal folded into the file) before main()'s os._exit


def run_duckdb(data: Path, out: Path) -> None:
    import duckdb

    con = duckdb.connect()
    for layer in ("bronze", "silver", "gold"):
        (out / layer).mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        con.execute(f"COPY (SELECT * FROM read_csv('{data / t}.csv', header=true)) "
                    f"TO '{out}/bronze/{t}.parquet' (FORMAT parquet)")
    for t in TABLES:
        source = f"read_parquet('{out}/bronze/{t}.parquet')"
        con.execute(f"COPY ({silver_sql(t, source)}) TO '{out}/silver/{t}.parquet' (FORMAT parquet)")
    for t in TABLES:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{out}/silver/{t}.parquet')")
    for name, (_, sql) in QUERIES.items():
        con.execute(f"COPY ({sql}) TO '{out}/gold/{name}.parquet' (FORMAT parquet)")


def run_pandas(data: Path, out: Path) -> None:
    from benchmarks.tpch_pandas import run

    run(data, out)


VARIANTS: dict[str, Callable[[Path, Path], None]] = {
    "odibi": run_odibi, "duckdb": run_duckdb, "pandas": run_pandas, "dagster": run_dagster,
    "dagster-floor": run_dagster_floor, "airflow-floor": run_airflow_floor, "airflow": run_airflow,
    "dagster-pipeline": partial(run_dagster, granularity="pipeline"),
    "airflow-pipeline": partial(run_airflow, granularity="pipeline"),
    "migrate": lambda _data, home: migrate_airflow_db(home)}


def main(argv: list[str]) -> None:
    """Run one variant, then leave without the interpreter's teardown, as Airflow's task processes do
    (``os._exit``): with Airflow loaded, its full garbage collections over a large heap took seconds."""
    VARIANTS[argv[1]](Path(argv[2]), Path(argv[3]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
