"""Airflow's OpenLineage methods for the node operator: the same dataset names as the Plan's Asset URIs
(through :mod:`~odibi_provider.lineage.naming`), returned as the OpenLineage provider's ``OperatorLineage``
when ``apache-airflow-providers-openlineage`` is installed, else as an object of the same shape."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..plan.model import Plan
from .events import input_datasets, job_facets, node_run_facets, output_datasets
from .naming import node_inputs, node_outputs


@dataclass(frozen=True)
class NodeLineage:
    """``OperatorLineage``'s shape: inputs, outputs, run facets and job facets."""

    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    run_facets: dict[str, Any] = field(default_factory=dict)
    job_facets: dict[str, Any] = field(default_factory=dict)


def operator_lineage(plan: Plan, node_id: str, *, run_id: str, schema: Sequence[Any] | None = None,
                     rows: int | None = None, error: str | None = None) -> Any:
    """The node's lineage for Airflow: datasets (the output with its ``schema`` and row count facets), the
    SQL job facet and the parent (pipeline run) facet."""
    from ..extras import require

    require("openlineage.client", extra="lineage", purpose="Airflow OpenLineage facets")
    node = plan.node(node_id)
    namespace = str(plan.lineage.get("namespace") or "odibi") if plan.lineage else "odibi"
    found = NodeLineage(inputs=input_datasets(node_inputs(plan, node)),
                        outputs=output_datasets(node_outputs(plan, node), schema, rows),
                        run_facets=node_run_facets(node, run_id, namespace, error), job_facets=job_facets(node))
    try:
        from airflow.providers.openlineage.extractors import OperatorLineage  # type: ignore[import-not-found]
    except ImportError:
        return found
    return OperatorLineage(inputs=found.inputs, outputs=found.outputs, run_facets=found.run_facets,
                           job_facets=found.job_facets)
