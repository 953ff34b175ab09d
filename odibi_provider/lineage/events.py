"""OpenLineage run events from odibi lifecycle events: START / COMPLETE / FAIL per node (job
``pipeline.node``, with the parent run facet naming the pipeline's run) and per pipeline run.

Run ids are UUIDs derived from the odibi run id, so the START and the COMPLETE of a node, and a node and
its parent, agree even when each node runs in its own process (Dagster, Airflow).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..extras import require
from ..hooks.events import Event, EventType
from ..plan.model import Plan, PlanNode
from .naming import LineageDataset, node_inputs, node_outputs, node_sql

PRODUCER = "https://github.com/odibi-provider/odibi-provider"
STATES = {EventType.NODE_START: "START", EventType.NODE_COMPLETE: "COMPLETE", EventType.NODE_ERROR: "FAIL",
          EventType.PIPELINE_START: "START", EventType.PIPELINE_COMPLETE: "COMPLETE",
          EventType.PIPELINE_ERROR: "FAIL"}
_NS = uuid.UUID("6f9a43a4-0a57-4b8e-9a53-0d1b0e3f4c21")


def run_uuid(run_id: str, job: str) -> str:
    """The OpenLineage run id of ``job`` (a pipeline or ``pipeline.node``) in odibi run ``run_id``."""
    return str(uuid.uuid5(_NS, f"{run_id}/{job}"))


def _ol() -> Any:
    return require("openlineage.client", extra="lineage", purpose="lineage: (OpenLineage)")


def schema_facet(columns: Iterable[Sequence[Any]]) -> Any:
    from openlineage.client.facet_v2 import schema_dataset

    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=str(c[0]), type=str(c[1])) for c in columns])


def input_datasets(found: list[LineageDataset], schemas: Mapping[str, Any] | None = None) -> list[Any]:
    """OpenLineage input datasets; with ``schemas`` (relation -> columns), each with its schema facet."""
    from openlineage.client.event_v2 import InputDataset

    return [InputDataset(namespace=d.namespace, name=d.name,
                         facets={"schema": schema_facet(schemas[d.relation])} if schemas and schemas.get(d.relation)
                         else {})
            for d in found]


def output_datasets(found: list[LineageDataset], columns: Sequence[Any] | None = None,
                    rows: int | None = None) -> list[Any]:
    """OpenLineage output datasets with the schema and output statistics (row count) facets when known."""
    from openlineage.client.event_v2 import OutputDataset
    from openlineage.client.facet_v2 import output_statistics_output_dataset as stats

    return [OutputDataset(namespace=d.namespace, name=d.name,
                          facets={"schema": schema_facet(columns)} if columns else {},
                          outputFacets={"outputStatistics": stats.OutputStatisticsOutputDatasetFacet(rowCount=rows)}
                          if rows is not None else {})
            for d in found]


def job_facets(node: PlanNode) -> dict[str, Any]:
    """``jobType`` and, when the node runs SQL, ``sql``."""
    from openlineage.client.facet_v2 import job_type_job, sql_job

    facets: dict[str, Any] = {"jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="ODIBI",
                                                                      jobType="NODE")}
    query = node_sql(node)
    if query:
        facets["sql"] = sql_job.SQLJobFacet(query=query)
    return facets


def error_facets(error: str | None) -> dict[str, Any]:
    """``errorMessage`` for a failure, else nothing."""
    if not error:
        return {}
    from openlineage.client.facet_v2 import error_message_run

    return {"errorMessage": error_message_run.ErrorMessageRunFacet(message=error, programmingLanguage="python")}


def node_run_facets(node: PlanNode, run_id: str, namespace: str, error: str | None = None) -> dict[str, Any]:
    """The parent facet (the pipeline's run) and, for a failure, the error message."""
    from openlineage.client.facet_v2 import parent_run

    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=run_uuid(run_id, node.pipeline)),
                                       job=parent_run.Job(namespace=namespace, name=node.pipeline))
    return {"parent": parent, **error_facets(error)}


def run_event(event: Event, plan: Plan, namespace: str) -> Any | None:
    """The OpenLineage RunEvent for ``event``, or None for events lineage does not report."""
    state = STATES.get(event.type)
    if state is None:
        return None
    _ol()  # the gate: install advice when the lineage extra is missing
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

    stamp = datetime.fromtimestamp(event.timestamp, UTC).isoformat()
    if event.node is None:  # a pipeline run: the parent of its node runs
        job = event.pipeline or plan.project
        return RunEvent(eventType=RunState[state], eventTime=stamp, producer=PRODUCER,
                        run=Run(runId=run_uuid(event.run_id, job), facets=error_facets(event.error)),
                        job=Job(namespace=namespace, name=job))
    node = plan.node(event.node)
    details = event.details
    inputs = input_datasets(node_inputs(plan, node), details.get("input_schemas"))
    outputs = [] if state == "START" else output_datasets(
        node_outputs(plan, node), details.get("schema_out"),
        details.get("rows_written") if details.get("rows_written") is not None else event.rows)
    return RunEvent(eventType=RunState[state], eventTime=stamp, producer=PRODUCER,
                    run=Run(runId=run_uuid(event.run_id, node.id),
                            facets=node_run_facets(node, event.run_id, namespace, event.error)),
                    job=Job(namespace=namespace, name=node.id, facets=job_facets(node)),
                    inputs=inputs, outputs=outputs)
