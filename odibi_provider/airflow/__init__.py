"""odibi as an Airflow 3 provider: one native task per node (or per pipeline), TaskGroups per layer, Assets per
dataset.

A leaf of the package: the core never imports it. Names load lazily, so a DAG file that imports
``build_dags`` pulls in the Airflow task SDK and the Plan, and no engine (pandas, DuckDB, Arrow, Spark).

    from odibi_provider.airflow import build_dags

    globals().update(build_dags("/path/to/project"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

_LAZY_IMPORTS: dict[str, str] = {
    "AirflowTranslator": "odibi_provider.airflow.translator",
    "DagSpec": "odibi_provider.airflow.translator",
    "TaskSpec": "odibi_provider.airflow.translator",
    "dag_spec": "odibi_provider.airflow.translator",
    "build_dag": "odibi_provider.airflow.dag_builder",
    "build_dags": "odibi_provider.airflow.dag_builder",
    "OdibiNodeOperator": "odibi_provider.airflow.operators.node",
    "OdibiPipelineOperator": "odibi_provider.airflow.operators.pipeline",
    "OdibiStoryLink": "odibi_provider.airflow.operators.links",
    "OdibiTaskGroup": "odibi_provider.airflow.task_group",
    "get_provider_info": "odibi_provider.airflow.provider",
}

if TYPE_CHECKING:  # pragma: no cover
    from .dag_builder import build_dag, build_dags
    from .operators.links import OdibiStoryLink
    from .operators.node import OdibiNodeOperator
    from .operators.pipeline import OdibiPipelineOperator
    from .provider import get_provider_info
    from .task_group import OdibiTaskGroup
    from .translator import AirflowTranslator, DagSpec, TaskSpec, dag_spec

__all__ = [
    "AirflowTranslator", "DagSpec", "OdibiNodeOperator", "OdibiPipelineOperator", "OdibiStoryLink", "OdibiTaskGroup",
    "TaskSpec", "build_dag", "build_dags", "dag_spec", "get_provider_info",
]


__getattr__, __dir__ = lazy_names("odibi_provider.airflow", _LAZY_IMPORTS, globals())
