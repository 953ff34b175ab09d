"""Per-node overhead in each host and granularity: a chain of N trivial SQL nodes run in-process
(``run_project``), under Dagster (``execute_in_process``) and under Airflow (``dag.test()``), one step per node
and one step per pipeline, against raw DuckDB running the same N queries and against each host's own floor
(the same N-step chain with no odibi in it) in the same run.

Run: python -m benchmarks.host_overhead [--nodes 50 500] [--variants ...] [--repeat 3] [--story] [--clock cpu]
     python -m benchmarks.host_overhead --nodes 50 --variants dagster-node --profile /tmp/node.prof
Each variant runs in its own process (a fresh interpreter, as a host's worker is); the time measured is the
run only (the project is compiled and its Plan cached before). With ``--repeat`` each figure is the median.
Libraries are imported before the timed run in every variant: DuckDB's one-time start (its import and the
pandas it imports on its first Arrow scan, ``warm_up_duckdb``) is untimed for raw DuckDB and odibi alike and
printed apart, so a figure is the cost a node adds.
The project writes no story unless ``--story`` (a project's default: a story per run, its HTML page kept
current while the run goes on).
A host variant is printed as its host's floor plus odibi's own cost, e.g. ``dagster-node 50.5 ms a node = floor 31.0
+ odibi 19.5``, and with the time measured inside odibi's step bodies (the asset bodies, the operators'
``execute``), which stays put while the floors move with the machine's load. Goals in node granularity: Dagster <=
30 ms a node, Airflow ``dag.test()`` <= 100 ms a node; the report says when the host's floor alone is above the
goal.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FLOORS = ("dagster-floor", "airflow-floor")
VARIANTS = ("duckdb", "in-process", *FLOORS, "dagster-node", "dagster-pipeline", "airflow-node", "airflow-pipeline")
GOALS_MS = {"dagster-node": 30.0, "airflow-node": 100.0}


STORY_ENV = "ODIBI_OVERHEAD_STORY"  # set: the measured project writes its story (the --story flag)


def project(root: Path, nodes: int) -> Path:
    """A chain of ``nodes`` nodes: a one-row CSV read, then ``x + 1`` on the previous node, the last written."""
    story = "{connection: lake, path: stories}" if os.environ.get(STORY_ENV) else "{enabled: false}"
    lines = ["project: overhead", "connections:", "  raw: {type: local, base_path: data}",
             "  lake: {type: local, base_path: lake}", f"story: {story}",
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


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Times the block: ``seconds`` (wall clock) and ``cpu_seconds`` (every thread of this process)."""
    timing: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    yield timing
    timing.update(seconds=time.perf_counter() - wall, cpu_seconds=time.process_time() - cpu)


def run_variant(variant: str, root: Path, nodes: int) -> dict[str, float]:
    """Wall and CPU seconds of one run of ``variant`` (in this process)."""
    if variant == "duckdb":
        return _duckdb(root, nodes)
    if variant == "dagster-floor":
        return _dagster_floor(nodes)
    if variant == "airflow-floor":
        return _airflow_test(root, _airflow_floor_dag(nodes))
    path = project(root, nodes)
    from odibi_provider.plan.cache import load_plan

    load_plan(path)  # compiled and cached once, as a deployed project is
    with stopwatch() as engine_import:  # paid once per process, untimed as raw DuckDB's is
        import odibi_provider.engines.embedded  # noqa: F401 - DuckDB and Arrow
        warm_up_duckdb()
    inside: list[float] = []
    with timed_step_bodies(inside, host=variant.split("-", 1)[0]):
        timing = _run_odibi(variant, root, path)
    return {**timing, "engine_import_seconds": engine_import["seconds"], "body_seconds": sum(inside)}


@contextmanager
def timed_step_bodies(spent: list[float], host: str) -> Iterator[None]:
    """Append to ``spent`` the seconds each host step spends in odibi's own body (Dagster's asset bodies, the
    Airflow operators' ``execute``): the part of a step that is odibi's, measured directly (a generator body is
    timed inside its ``next`` calls only, not while Dagster handles what it yielded)."""
    def timed_generator(function: Any) -> Any:
        def body(*args: Any, **kwargs: Any) -> Iterator[Any]:
            events = function(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    event = next(events)
                except StopIteration:
                    return
                finally:
                    spent.append(time.perf_counter() - started)
                yield event
        return body

    def timed(function: Any) -> Any:
        def body(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)
        return body

    patched: list[tuple[Any, str, Any]] = []
    if host == "dagster":
        from odibi_provider.dagster import execute, pipeline_step

        patched = [(execute, "execute_node", timed_generator), (pipeline_step, "execute_pipeline", timed_generator)]
    elif host == "airflow":
        from odibi_provider.airflow.operators import node as airflow_node
        from odibi_provider.airflow.operators import pipeline as airflow_pipeline

        patched = [(airflow_node.OdibiNodeOperator, "execute", timed),
                   (airflow_pipeline.OdibiPipelineOperator, "execute", timed)]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    for owner, name, wrap in patched:
        setattr(owner, name, wrap(getattr(owner, name)))
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def _run_odibi(variant: str, root: Path, path: Path) -> dict[str, float]:
    if variant == "in-process":
        from odibi_provider.runner import run_project

        with stopwatch() as timing:
            assert run_project(path, workers=1).ok
        return timing
    granularity = variant.split("-", 1)[1]
    if variant.startswith("dagster"):
        from odibi_provider.dagster import build_definitions

        return _dagster_run(build_definitions(path, granularity=granularity))
    _airflow_env(root)
    from odibi_provider.airflow import build_dags

    (dag,) = build_dags(path, granularity=granularity).values()
    return _airflow_test(root, dag)


def warm_up_duckdb() -> None:
    """DuckDB's one-time cost in a process, paid before any variant's timed run: its import and what it imports
    on the first Arrow table it scans (pandas, about 0.25 s)."""
    import duckdb
    import pyarrow as pa

    with duckdb.connect() as con:
        con.register("warm", pa.table({"x": [1]}))
        con.sql("SELECT x FROM warm").to_arrow_table()


def _duckdb(root: Path, nodes: int) -> dict[str, float]:
    import duckdb

    project(root, nodes)
    warm_up_duckdb()
    with stopwatch() as timing:
        con = duckdb.connect()
        frame = con.sql(f"SELECT * FROM read_csv('{root / 'data' / 'one.csv'}')").to_arrow_table()
        for _ in range(1, nodes):
            con.register("prev", frame)
            frame = con.sql("SELECT x + 1 AS x FROM prev").to_arrow_table()
    return timing


def _dagster_run(defs: Any) -> dict[str, float]:
    """The timing of ``execute_in_process`` of every asset of ``defs`` on an ephemeral instance."""
    import dagster as dg

    job = defs.resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.ephemeral()
    with stopwatch() as timing:
        assert job.execute_in_process(instance=instance, raise_on_error=False).success
    return timing


def _dagster_floor(nodes: int) -> dict[str, float]:
    """Dagster's own floor: ``nodes`` plain ``@asset`` functions in a chain, each returning a MaterializeResult
    (what an odibi asset returns, without odibi)."""
    import dagster as dg

    def chained(i: int) -> dg.AssetsDefinition:
        @dg.asset(name=f"n{i}", deps=[f"n{i - 1}"] if i else [])
        def step():  # Dagster resolves hints at definition: none for a local `dg`
            return dg.MaterializeResult()

        return step

    return _dagster_run(dg.Definitions(assets=[chained(i) for i in range(nodes)]))


def _airflow_env(root: Path) -> None:
    home = root / "airflow"
    os.environ.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                       "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                       "AIRFLOW__CORE__DAGS_FOLDER": str(home), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"})


def _airflow_floor_dag(nodes: int) -> Any:
    """Airflow's own floor: ``nodes`` chained no-op Python tasks."""
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    with DAG("overhead_floor", schedule=None) as dag:
        previous = None
        for i in range(nodes):
            task = PythonOperator(task_id=f"n{i}", python_callable=_no_op)
            if previous is not None:
                previous >> task
            previous = task
    return dag


def _no_op() -> None:
    return None


def _airflow_test(root: Path, dag: Any) -> dict[str, float]:
    """The timing of ``dag.test()`` of ``dag``, registered in a fresh SQLite metadata database under ``root``."""
    _airflow_env(root)
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.utils import db

    db.initdb()
    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder=str(root / "airflow"), collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    with stopwatch() as timing:
        run = dag.test()
    assert str(getattr(run.state, "value", run.state)) == "success"
    return timing


def measure(variant: str, nodes: int, profile: str | None = None, clock: str = "wall") -> dict[str, float]:
    """One run of ``variant`` in a fresh interpreter: ``seconds`` by the wall clock or, with ``clock="cpu"``,
    CPU time (the figure that stays put on a shared machine), and the untimed ``engine_import_seconds`` of
    odibi's variants; with ``profile``, under cProfile."""
    with tempfile.TemporaryDirectory(prefix="odibi-overhead-") as tmp:
        extra = ["--profile", profile] if profile else []
        out = subprocess.run([sys.executable, "-m", "benchmarks.host_overhead", "--child", variant, str(nodes), tmp,
                              *extra], cwd=REPO, check=True, capture_output=True, text=True)
        timing = json.loads(out.stdout.strip().splitlines()[-1])
        return {"seconds": float(timing["cpu_seconds" if clock == "cpu" else "seconds"]),
                "engine_import_seconds": float(timing.get("engine_import_seconds", 0.0)),
                "body_seconds": float(timing.get("body_seconds", 0.0))}


def floor_of(variant: str) -> str | None:
    """The floor variant of a host variant (``dagster-node`` -> ``dagster-floor``)."""
    host = variant.split("-", 1)[0]
    return f"{host}-floor" if f"{host}-floor" in FLOORS and variant not in FLOORS else None


def report_line(variant: str, per_node_ms: float, raw_ms: float, floors_ms: dict[str, float]) -> str:
    """One line of the report: ms a node, split into the host's floor and odibi's cost when the floor was
    measured, with the goal and whether the floor alone already misses it."""
    line = f"{variant:>17}: {per_node_ms:8.1f} ms a node"
    floor = floors_ms.get(floor_of(variant) or "")
    if floor is not None:
        line += f" = floor {floor:.1f} + odibi {per_node_ms - floor:.1f}"
    else:
        line += f", over raw DuckDB {per_node_ms - raw_ms:7.1f}"
    goal = GOALS_MS.get(variant)
    if goal is not None:
        line += f"  (goal <= {goal:.0f} ms{', met' if per_node_ms <= goal else ', missed'})"
        if floor is not None and floor > goal:
            line += f"; the host's floor alone ({floor:.1f} ms) is above the goal"
    return line


def median_ms(variant: str, nodes: int, repeat: int, clock: str = "wall") -> tuple[float, float, float]:
    """Milliseconds a node of ``variant`` (the median of ``repeat`` runs), the median untimed engine import
    (milliseconds, once per run) and the median wall milliseconds a node inside odibi's step bodies."""
    runs = [measure(variant, nodes, clock=clock) for _ in range(repeat)]
    return (statistics.median(r["seconds"] for r in runs) / nodes * 1000,
            statistics.median(r["engine_import_seconds"] for r in runs) * 1000,
            statistics.median(r["body_seconds"] for r in runs) / nodes * 1000)


def _child(variant: str, nodes: int, folder: str, profile: str | None) -> None:
    if not profile:
        print(json.dumps(run_variant(variant, Path(folder), nodes)))
        return
    import cProfile

    profiler = cProfile.Profile()
    timing = profiler.runcall(run_variant, variant, Path(folder), nodes)
    profiler.dump_stats(profile)
    print(json.dumps(timing))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the median is reported")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the first variant's run into FILE (pstats)")
    parser.add_argument("--story", action="store_true", help="the project writes its story (off by default)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall-clock time, or CPU time of the run's process (steadier on a shared machine)")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "NODES", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.story:
        os.environ[STORY_ENV] = "1"  # read by the child processes
    if args.child:
        variant, nodes, folder = args.child
        _child(variant, int(nodes), folder, args.profile)
        return
    if args.profile:
        seconds = measure(args.variants[0], args.nodes[0], profile=args.profile)["seconds"]
        print(f"{args.variants[0]} at {args.nodes[0]} nodes: {seconds:.2f} s under cProfile -> {args.profile}")
        return
    for nodes in args.nodes:
        raw, _, _ = median_ms("duckdb", nodes, args.repeat, args.clock)
        print(f"\n{nodes} trivial nodes in a chain, {args.clock} time (raw DuckDB: {raw:.2f} ms a query; "
              f"median of {args.repeat})")
        floors: dict[str, float] = {}
        wanted = [v for v in args.variants if v != "duckdb"]
        wanted = [v for v in FLOORS if v in wanted or any(floor_of(w) == v for w in wanted)] + \
                 [v for v in wanted if v not in FLOORS]  # floors first: the host lines are split against them
        imports: list[float] = []
        for variant in wanted:
            per_node, engine_import, body = median_ms(variant, nodes, args.repeat, args.clock)
            if variant in FLOORS:
                floors[variant] = per_node
            elif engine_import:
                imports.append(engine_import)
            inside = f"; inside odibi's step bodies {body:.1f} ms a node (wall)" if body else ""
            print(report_line(variant, per_node, raw, floors) + inside, flush=True)
        if imports:
            print(f"{'':>19}(not counted above: importing odibi's engine and starting DuckDB, "
                  f"once per process, {statistics.median(imports):.0f} ms wall; raw DuckDB's start is untimed too)")


if __name__ == "__main__":
    main()
