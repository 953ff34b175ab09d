"""The project model as Python classes, for building a project in code (the odibi MVP's ``odibi.config``):

    pipeline = PipelineConfig(pipeline="sales_etl", nodes=[NodeConfig(name="load", read=ReadConfig(...)), ...])
    project = ProjectConfig(project="sales", connections={"local": LocalConnection(type="local")},
                            pipelines=[pipeline])
    run_project(project)            # also build_definitions(project), build_dags(project)

These are the same validated, frozen models the YAML loads into (``odibi_provider.manifest.models``).
"""

from __future__ import annotations

from .manifest.models import (
    AzureConnection,
    FunctionStep,
    GcsConnection,
    LocalConnection,
    NodeConfig,
    PipelineConfig,
    ProjectConfig,
    ReadConfig,
    RetryConfig,
    S3Connection,
    SqlConnection,
    SqlStep,
    StoryConfig,
    SystemConfig,
    TransformConfig,
    ValidationConfig,
    WriteConfig,
)

__all__ = [
    "AzureConnection", "FunctionStep", "GcsConnection", "LocalConnection", "NodeConfig", "PipelineConfig",
    "ProjectConfig", "ReadConfig", "RetryConfig", "S3Connection", "SqlConnection", "SqlStep", "StoryConfig",
    "SystemConfig", "TransformConfig", "ValidationConfig", "WriteConfig",
]
