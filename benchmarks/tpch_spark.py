"""The TPC-H medallion benchmark on Spark: a hand-written PySpark script and odibi's Spark engine, doing the
same work as ``tpch_variants.run_duckdb`` (bronze CSV -> Parquet, silver typed, gold Q1, Q3, Q5, Q6, Q10).

Both use one SparkSession for the whole run, from the same settings as the engine: ``ODIBI_SPARK_MASTER``
(default ``local[*]``), ``ODIBI_SPARK_REMOTE`` (Spark Connect) and ``ODIBI_SPARK_CONF``.
Run one alone: ``python -m benchmarks.tpch_spark pyspark|odibi-spark DATA OUT``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.tpch_queries import QUERIES, TABLES, silver_sql

BENCH_CONF = {"spark.ui.showConsoleProgress": "false", "spark.sql.session.timeZone": "UTC"}


def spark_session() -> Any:
    """The run's one SparkSession, built as the Spark engine builds it (so both variants run alike)."""
    from odibi_provider.engines.spark import configure_spark, get_spark, settings_from_env

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings = settings_from_env()
    conf = {**BENCH_CONF, **settings.conf}
    configure_spark(master=settings.master, remote=settings.remote, conf=conf)
    return get_spark()


def run_pyspark(data: Path, out: Path, session: Any = None) -> None:
    """Bronze: each CSV as Parquet; silver: typed and trimmed (``silver_sql``); gold: the five queries."""
    spark = session or spark_session()
    for layer in ("bronze", "silver", "gold"):
        (out / layer).mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        (spark.read.option("header", "true").option("inferSchema", "true").csv(f"{data / table}.csv")
         .write.mode("overwrite").parquet(f"{out}/bronze/{table}.parquet"))
    for table in TABLES:
        spark.read.parquet(f"{out}/bronze/{table}.parquet").createOrReplaceTempView(f"bronze_{table}")
        (spark.sql(silver_sql(table, f"bronze_{table}"))
         .write.mode("overwrite").parquet(f"{out}/silver/{table}.parquet"))
    for table in TABLES:
        spark.read.parquet(f"{out}/silver/{table}.parquet").createOrReplaceTempView(table)
    for name, (_, sql) in QUERIES.items():
        spark.sql(sql).write.mode("overwrite").parquet(f"{out}/gold/{name}.parquet")


def run_odibi_spark(data: Path, out: Path, workers: int = 2) -> None:
    """The same project as ``tpch_variants.run_odibi``, run with ``engine="spark"`` on the same session."""
    from benchmarks.tpch_variants import project_yaml
    from odibi_provider.runner import run_project

    spark_session()
    (out / "project").mkdir(parents=True, exist_ok=True)
    project = out / "project" / "odibi.yaml"
    project.write_text(project_yaml(data.resolve(), out.resolve(), engine="spark"), encoding="utf-8")
    result = run_project(project, engine="spark", workers=workers)
    if not result.ok:
        raise SystemExit(f"odibi spark run failed: {[(r.node_id, r.error) for r in result.results if r.error]}")


VARIANTS = {"pyspark": run_pyspark, "odibi-spark": run_odibi_spark}

if __name__ == "__main__":
    VARIANTS[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
