"""odibi tasks dropped into a hand-written DAG: a TaskGroup per pipeline, one lone node operator.

Shows the parts a user mixes into an existing DAG: ``OdibiTaskGroup`` (a pipeline's tasks, wired as
the Plan says) and ``OdibiNodeOperator`` (one node), with the logical date passed to ``${vars...}``.
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
    bronze = OdibiTaskGroup(PROJECT, "bronze")
    silver = OdibiTaskGroup(PROJECT, "silver", group_id="clean")
    revenue = OdibiNodeOperator(task_id="revenue_by_customer_day", project_path=PROJECT,
                                node_id="gold.revenue_by_customer_day", vars={"run_date": "{{ ds }}"},
                                retries=1)
    start >> bronze >> silver >> revenue
