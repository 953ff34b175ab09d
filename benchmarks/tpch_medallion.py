"""TPC-H medallion benchmark: odibi's run_project vs raw DuckDB vs plain pandas, same data, same run.

Run: python benchmarks/tpch_medallion.py [--scale 0.1] [--skip-pandas] [--overhead-nodes 200] [--hosts]
[--variants odibi,airflow-pipeline] [--repeat 3]
Each variant runs in its own subprocess; timed is that process's wall clock (and CPU seconds, steadier on a
shared machine) from start to exit, Python's start and imports included, minus only the setup a deployment
pays once that a variant reports (the Airflow variants: importing Airflow, the metadata DB, the Execution API;
see ``tpch_variants.run_airflow``; the Dagster variants: importing Dagster and its instance), printed apart.
``dagster-floor`` and ``airflow-floor`` run the raw DuckDB script as one plain asset / task: the host's own
cost, against which each host variant is also given. These processes end with ``os._exit`` after their
work, as Airflow's task processes do (``tpch_variants.main``; not the ``--engine spark`` ones).
With ``--repeat`` each figure is the median.
Goals at scale 1 on 2 cores: odibi <= 1.05x raw DuckDB wall, peak memory <= 1.2x; odibi >= 5x faster than
pandas; per-node framework overhead on 200 trivial nodes <= 20 ms; the host goals of issue 15 (printed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA_ROOT = REPO / "benchmarks" / ".data"


def generate(scale: float) -> Path:
    """TPC-H CSV at ``scale`` with tpchgen-cli (cached under benchmarks/.data, never committed)."""
    target = DATA_ROOT / f"tpch-sf{scale:g}"
    if not (target / "lineitem.csv").exists():
        target.mkdir(parents=True, exist_ok=True)
        cli = shutil.which("tpchgen-cli") or str(Path(sys.executable).with_name("tpchgen-cli"))
        subprocess.run([cli, "csv", "-s", str(scale), f"--output-dir={target}"], check=True)
    return target


SPARK_VARIANTS = ("pyspark", "odibi-spark")


@dataclass(frozen=True)
class Measured:
    """One variant's run: timed wall and CPU seconds, peak RSS (MiB), and its untimed setup's wall seconds."""

    wall: float
    cpu: float
    peak_mib: float
    setup_wall: float = 0.0


def measure(variant: str, data: Path, out: Path) -> Measured:
    """One variant run in its own process (for Spark, memory is the Python driver's RSS; the JVM is a child of
    it), less the setup it reports (``tpch_variants.read_setup``)."""
    from benchmarks.tpch_variants import read_setup

    module = "benchmarks.tpch_spark" if variant in SPARK_VARIANTS else "benchmarks.tpch_variants"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", module, variant, str(data), str(out)], cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{variant} failed")
    setup_wall, setup_cpu = read_setup(out)
    return Measured(wall=wall - setup_wall, cpu=usage.ru_utime + usage.ru_stime - setup_cpu,
                    peak_mib=usage.ru_maxrss / 1024, setup_wall=setup_wall)


def median_of(runs: list[Measured]) -> Measured:
    """Each figure's median over repeated runs."""
    return Measured(*(statistics.median(getattr(r, f.name) for r in runs) for f in fields(Measured)))


def overhead(nodes: int, tmp: Path) -> tuple[float, float]:
    """Seconds per node for odibi running ``nodes`` trivial SQL nodes vs DuckDB running the same queries."""
    import duckdb

    from odibi_provider.runner import run_project

    lines = ["project: overhead", "connections: {mem: {type: local, base_path: data}}",
             "story: {enabled: false}", "pipelines:", "  - pipeline: p", "    nodes:",
             "      - {name: n0, read: {connection: mem, format: csv, path: one.csv}}"]
    lines += [f"      - {{name: n{i}, depends_on: [n{i - 1}], transform: {{steps: ['SELECT x + 1 AS x FROM df']}}}}"
              for i in range(1, nodes)]
    (tmp / "overhead" / "data").mkdir(parents=True)
    (tmp / "overhead" / "data" / "one.csv").write_text("x\n1\n")
    (tmp / "overhead" / "odibi.yaml").write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    result = run_project(tmp / "overhead", workers=1)
    odibi = time.perf_counter() - started
    assert result.ok, result.failed
    con = duckdb.connect()
    started = time.perf_counter()
    frame = con.sql("SELECT * FROM read_csv('" + str(tmp / "overhead" / "data" / "one.csv") + "')").to_arrow_table()
    for _ in range(1, nodes):
        con.register("prev", frame)
        frame = con.sql("SELECT x + 1 AS x FROM prev").to_arrow_table()
    raw = time.perf_counter() - started
    return odibi / nodes, raw / nodes


HOST_GOALS = {"dagster": 1.15, "dagster-pipeline": 1.05, "airflow": 1.5, "airflow-pipeline": 1.10}
HOST_FLOORS = ("dagster-floor", "airflow-floor")  # the raw DuckDB script as one plain asset / task: the host's cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--overhead-nodes", type=int, default=200, help="0 skips the per-node overhead figure")
    parser.add_argument("--workers", type=int, default=2, help="odibi's parallel nodes (raw DuckDB is one script)")
    parser.add_argument("--engine", choices=["pandas", "spark"], default="pandas",
                        help="spark: odibi on Spark vs a hand-written PySpark script (one session per run)")
    parser.add_argument("--hosts", action="store_true", help="also run through Dagster (materialize in-process) "
                                                               "and Airflow (dag.test()), in both granularities")
    parser.add_argument("--variants", help="comma-separated variants to run instead (duckdb is always run: "
                                           "ratios are against it), e.g. odibi,airflow-pipeline")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant (interleaved); medians shown")
    args = parser.parse_args()
    os.environ["ODIBI_BENCH_WORKERS"] = str(args.workers)
    data = generate(args.scale)
    if args.engine == "spark":
        return spark_main(data, args.scale)
    variants = ["duckdb", "odibi"] + ([] if args.skip_pandas else ["pandas"])
    variants += [*HOST_FLOORS, *HOST_GOALS] if args.hosts else []
    if args.variants:
        from benchmarks.tpch_variants import VARIANTS

        variants = list(dict.fromkeys(["duckdb", *args.variants.split(",")]))
        unknown = [v for v in variants if v not in VARIANTS or v == "migrate"]
        if unknown:
            parser.error(f"--variants: unknown {', '.join(unknown)}; known: "
                         f"{', '.join(v for v in VARIANTS if v != 'migrate')}")
    runs: dict[str, list[Measured]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory(prefix="tpch-") as tmp:
        if any(v.startswith("airflow") for v in variants):  # a deployment migrates its metadata DB once: untimed
            home = Path(tmp) / "airflow-db"
            home.mkdir()
            subprocess.run([sys.executable, "-m", "benchmarks.tpch_variants", "migrate", "-", str(home)], cwd=REPO,
                           check=True, capture_output=True)
            os.environ["ODIBI_BENCH_AIRFLOW_DB"] = str(home / "airflow.db")
        for attempt in range(args.repeat):
            for variant in variants:
                run = measure(variant, data, Path(tmp) / variant)
                runs[variant].append(run)
                setup = f"  (+{run.setup_wall:.2f} s setup, untimed)" if run.setup_wall else ""
                print(f"{variant:>16} #{attempt + 1}: {run.wall:8.2f} s wall {run.cpu:8.2f} s CPU "
                      f"{run.peak_mib:8.0f} MiB peak{setup}", flush=True)
        per_node = overhead(args.overhead_nodes, Path(tmp)) if args.overhead_nodes else None
    report({variant: median_of(measured) for variant, measured in runs.items()}, args.scale, args.repeat)
    if per_node is not None:
        odibi, raw = per_node
        print(f"per-node overhead on {args.overhead_nodes} trivial nodes: {(odibi - raw) * 1000:.1f} ms "
              f"(odibi {odibi * 1000:.1f} ms/node, raw DuckDB {raw * 1000:.2f} ms/query; goal <= 20 ms)")


def report(results: dict[str, Measured], scale: float, repeat: int) -> None:
    """Ratios against raw DuckDB (medians over ``repeat`` runs), with the goals."""
    base = results["duckdb"]
    print(f"\nscale {scale:g}, median of {repeat} run(s); raw DuckDB {base.wall:.2f} s wall, {base.cpu:.2f} s CPU")
    if "odibi" in results:
        odibi = results["odibi"]
        print(f"odibi / raw DuckDB = {odibi.wall / base.wall:.2f}x wall (goal <= 1.05x at scale 1), "
              f"{odibi.cpu / base.cpu:.2f}x CPU, {odibi.peak_mib / base.peak_mib:.2f}x peak memory (goal <= 1.2x)")
        if "pandas" in results:
            print(f"pandas / odibi = {results['pandas'].wall / odibi.wall:.1f}x (goal >= 5x)")
    for host in (*HOST_FLOORS, *HOST_GOALS):
        if host in results:
            run = results[host]
            goal = f" (goal <= {HOST_GOALS[host]}x)" if host in HOST_GOALS else " (the host alone)"
            floor = results.get(f"{host.split('-')[0]}-floor")
            over_floor = f"; {run.wall / floor.wall:.2f}x the host's floor" if floor and host in HOST_GOALS else ""
            print(f"{host:>16} / raw DuckDB = {run.wall / base.wall:.2f}x wall{goal}, "
                  f"{run.cpu / base.cpu:.2f}x CPU, {run.peak_mib / base.peak_mib:.2f}x peak memory{over_floor}"
                  + (f"; untimed setup {run.setup_wall:.2f} s" if run.setup_wall else ""))


def spark_main(data: Path, scale: float) -> None:
    results = {}
    with tempfile.TemporaryDirectory(prefix="tpch-spark-") as tmp:
        for variant in SPARK_VARIANTS:
            results[variant] = measure(variant, data, Path(tmp) / variant)
            print(f"{variant:>12}: {results[variant].wall:8.2f} s wall", flush=True)
    ratio = results["odibi-spark"].wall / results["pyspark"].wall
    print(f"\nscale {scale:g}: odibi on Spark / hand-written PySpark = {ratio:.2f}x wall (goal <= 1.10x)")


if __name__ == "__main__":
    main()
