"""Parse time is a feature: the DAG files in dags/ parse without errors and without importing an engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from odibi_provider.plan import load_plan
from tests.airflow.conftest import DAGS, REPO, RETAIL

ENGINES = ["pandas", "duckdb", "pyarrow", "pyspark", "numpy", "deltalake", "dagster"]
PROBE = f"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(DAGS)!r})
print(json.dumps({{"errors": {{k: str(v)[-800:] for k, v in bag.import_errors.items()}},
                   "dags": {{d: sorted(t.task_id for t in dag.tasks) for d, dag in bag.dags.items()}},
                   "heavy": sorted(m for m in {ENGINES!r} if m in sys.modules)}}))
"""


def _parse(extra_env: dict[str, str] | None = None) -> dict:
    env = {**os.environ, **(extra_env or {})}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_dag_folder_parses_without_errors_and_without_engines(airflow_db):
    load_plan(RETAIL)  # the Plan is cached, as after any earlier parse or run
    result = _parse()
    assert result["errors"] == {}
    assert set(result["dags"]) == {"retail_bronze", "retail_silver", "retail_gold", "retail_hand_written"}
    assert result["dags"]["retail_silver"] == ["customers", "orders", "products"]
    assert result["heavy"] == [], "parsing a DAG file must not import an engine"


def test_a_worker_parse_builds_only_the_dag_it_runs(airflow_db):
    result = _parse({"_AIRFLOW_PARSING_CONTEXT_DAG_ID": "retail_gold"})
    assert {d for d in result["dags"] if d.startswith("retail_") and d != "retail_hand_written"} == {"retail_gold"}
