"""TPC-H medallion benchmark: odibi's run_project vs raw DuckDB vs plain pandas, same data, same run.

Run: python benchmarks/tpch_medallion.py [--scale 0.1] [--skip-pandas] [--overhead-nodes 200]
Prints wall time and peak memory (each variant in its own subprocess) and the ratios. Goals at scale 1
on 2 cores: odibi <= 1.05x raw DuckDB wall, peak memory <= 1.2x; odibi >= 5x faster than pandas;
per-node framework overhead on 200 trivial nodes <= 20 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
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


def measure(variant: str, data: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one variant run in its own process (for Spark: the Python
    driver's RSS; the JVM is a child of it)."""
    module = "benchmarks.tpch_spark" if variant in SPARK_VARIANTS else "benchmarks.tpch_variants"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", module, variant, str(data), str(out)], cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{variant} failed")
    return wall, usage.ru_maxrss / 1024


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--overhead-nodes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="odibi's parallel nodes (raw DuckDB is one script)")
    parser.add_argument("--engine", choices=["pandas", "spark"], default="pandas",
                        help="spark: odibi on Spark vs a hand-written PySpark script (one session per run)")
    parser.add_argument("--hosts", action="store_true", help="also run through Dagster (materialize in-process) "
                                                               "and Airflow (dag.test()), in both granularities")
    args = parser.parse_args()
    os.environ["ODIBI_BENCH_WORKERS"] = str(args.workers)
    data = generate(args.scale)
    if args.engine == "spark":
        return spark_main(data, args.scale)
    variants = ["duckdb", "odibi"] + ([] if args.skip_pandas else ["pandas"])
    variants += ["dagster", "dagster-pipeline", "airflow", "airflow-pipeline"] if args.hosts else []
    results = {}
    with tempfile.TemporaryDirectory(prefix="tpch-") as tmp:
        if args.hosts:  # a deployment migrates Airflow's metadata DB once, not per run: done here, untimed
            home = Path(tmp) / "airflow-db"
            home.mkdir()
            subprocess.run([sys.executable, "-m", "benchmarks.tpch_variants", "migrate", "-", str(home)], cwd=REPO,
                           check=True, capture_output=True)
            os.environ["ODIBI_BENCH_AIRFLOW_DB"] = str(home / "airflow.db")
        for variant in variants:
            results[variant] = measure(variant, data, Path(tmp) / variant)
            print(f"{variant:>16}: {results[variant][0]:8.2f} s wall  {results[variant][1]:8.0f} MiB peak",
                  flush=True)
        per_node, raw_per_node = overhead(args.overhead_nodes, Path(tmp))
    base_wall, base_mem = results["duckdb"]
    wall, mem = results["odibi"]
    print(f"\nscale {args.scale:g}: odibi / raw DuckDB = {wall / base_wall:.2f}x wall (goal <= 1.05x at scale 1), "
          f"{mem / base_mem:.2f}x peak memory (goal <= 1.2x)")
    if "pandas" in results:
        print(f"pandas / odibi = {results['pandas'][0] / wall:.1f}x (goal >= 5x)")
    for host, goal in (("dagster", 1.15), ("dagster-pipeline", 1.05), ("airflow", 1.5), ("airflow-pipeline", 1.10)):
        if host in results:
            print(f"{host:>16} / raw DuckDB = {results[host][0] / base_wall:.2f}x wall (goal <= {goal}x), "
                  f"{results[host][1] / base_mem:.2f}x peak memory")
    print(f"per-node overhead on {args.overhead_nodes} trivial nodes: {(per_node - raw_per_node) * 1000:.1f} ms "
          f"(odibi {per_node * 1000:.1f} ms/node, raw DuckDB {raw_per_node * 1000:.2f} ms/query; goal <= 20 ms)")


def spark_main(data: Path, scale: float) -> None:
    results = {}
    with tempfile.TemporaryDirectory(prefix="tpch-spark-") as tmp:
        for variant in SPARK_VARIANTS:
            results[variant] = measure(variant, data, Path(tmp) / variant)
            print(f"{variant:>12}: {results[variant][0]:8.2f} s wall", flush=True)
    ratio = results["odibi-spark"][0] / results["pyspark"][0]
    print(f"\nscale {scale:g}: odibi on Spark / hand-written PySpark = {ratio:.2f}x wall (goal <= 1.10x)")


if __name__ == "__main__":
    main()
