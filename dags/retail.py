"""The retail example as Airflow DAGs: retail_bronze, retail_silver and retail_gold.

One task per node, a TaskGroup per layer, an Asset per written dataset. retail_bronze runs on demand;
retail_silver runs when bronze's datasets are updated and retail_gold when silver's are (Assets).
Parsing this file imports the Airflow adapter and the cached Plan, never pandas/DuckDB/Arrow/Spark.

Point ODIBI_RETAIL_PROJECT at another copy of the project to run it elsewhere (the tests do).
"""

from __future__ import annotations

import os
from pathlib import Path

from odibi_provider.airflow import build_dags

PROJECT = os.environ.get("ODIBI_RETAIL_PROJECT", str(Path(__file__).resolve().parents[1] / "examples" / "retail"))

globals().update(build_dags(PROJECT, tags=["example"]))
