"""odibi tasks dropped into a hand-written DAG: a TaskGroup per pipeline, one lone node operator.

Shows the parts a user mixes into an existing DAG: ``OdibiTaskGroup`` (a pipeline's tasks, wired as
the Plan says) and ``OdibiNodeOperator`` (one node), with the run's date passed to ``${vars...}``.
It writes the same datasets as the generated retail DAGs (dags/retail.py), so it emits no Assets
(``emit_assets=False``; the lone operator declares no outlets): triggering it does not also trigger
retail_silver and retail_gold. ``dag_run.run_after`` is set on every run, manual ones included (Airflow
3 runs triggered without a logical date have no ``ds``).
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from odibi_provider.airflow import OdibiNodeOperator, OdibiTaskGroup

PROJECT = os.environ.get("ODIBI_RETAIL_PROJECT", str(Path(__file__).resolve().parents[1] / "examples" / "retail"))

with DAG("retail_hand_written", schedule=None, tags=["example", "odibi"],
         doc_md="The retail project in one DAG: bronze and silver as TaskGroups, then one gold node."):
    start = EmptyOperator(task_id="start")
    bronze = OdibiTaskGroup(PROJECT, "bronze", emit_assets=False)
    silver = OdibiTaskGroup(PROJECT, "silver", group_id="clean", emit_assets=False)
    revenue = OdibiNodeOperator(task_id="revenue_by_customer_day", project_path=PROJECT,
                                node_id="gold.revenue_by_customer_day",
                                vars={"run_date": "{{ dag_run.run_after | ds }}"}, retries=1)
    start >> bronze >> silver >> revenue
