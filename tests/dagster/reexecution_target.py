"""A reconstructable job for re-execution tests (Dagster rebuilds it from this module and an argument)."""

from __future__ import annotations

import dagster as dg

from odibi_provider.dagster import build_definitions


def pipeline_job(project: str, pipeline: str) -> dg.JobDefinition:
    """The job of one pipeline of ``project``, on the in-process executor."""
    return build_definitions(project, executor=dg.in_process_executor).resolve_job_def(pipeline)
