"""OdibiDagsterTranslator: one overridable method per Dagster attribute of a Plan node.

Subclass and override one method to change one thing, as with dagster-dbt's ``DagsterDbtTranslator``::

    class MyTranslator(OdibiDagsterTranslator):
        def get_group_name(self, node, plan):
            return node.pipeline
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from typing import Any

from ..plan.datasets import dataset_key, dataset_uri
from ..plan.describe import describe_node
from ..plan.model import PipelineSpec, Plan, PlanNode, ReadSpec, TestSpec, WriteSpec
from . import names
from ._dg import dg
from .partitions import partitions_def_for

ENGINE_KINDS = {"pandas": "duckdb", "spark": "spark"}
CLOUD_KINDS = {"s3": "s3", "gcs": "gcs", "azure_blob": "azure", "azure_adls": "azure"}
FORMAT_KINDS = {"delta": "deltalake"}  # Dagster's kind names (they pick the icon), where they differ from odibi's
SQL_KINDS = {"postgresql": "postgres", "postgres": "postgres", "sqlite": "sqlite", "mssql": "mssql",
             "mysql": "mysql", "duckdb": "duckdb", "snowflake": "snowflake"}
BACKOFFS = {"exponential": "EXPONENTIAL", "linear": "LINEAR"}
AUTOMATION_TAG = "automation:"


class OdibiDagsterTranslator:
    """Maps Plan nodes to Dagster attributes. Every ``get_*`` method takes the node and the Plan.

    ``key_prefix`` is prepended to asset keys and job names (two projects in one code location).
    """

    def __init__(self, *, key_prefix: Sequence[str] = ()) -> None:
        self.key_prefix = tuple(key_prefix)

    # -- identity -------------------------------------------------------------------------------
    def get_asset_key(self, node: PlanNode, plan: Plan) -> dg.AssetKey:
        """``[pipeline, node]``: two pipelines may both have a node ``orders``."""
        return dg.AssetKey([*self.key_prefix, node.pipeline, node.name])

    def get_op_name(self, node: PlanNode, plan: Plan) -> str:
        """The op (step) name: ``silver__orders``."""
        return names.op_name(*self.key_prefix, node.pipeline, node.name)

    def get_group_name(self, node: PlanNode, plan: Plan) -> str | None:
        """The node's layer (bronze / silver / gold / any name)."""
        return names.safe_name(node.layer)

    def get_deps(self, node: PlanNode, plan: Plan) -> list[dg.AssetKey]:
        """Upstream nodes (``depends_on``, ``inputs``, reads of written datasets), then the raw input it reads."""
        source = self.get_source_spec(node.read, plan) if node.read is not None else None
        return [self.get_asset_key(plan.node(up), plan) for up in node.upstream] + ([source.key] if source else [])

    def get_source_spec(self, read: ReadSpec, plan: Plan) -> dg.AssetSpec | None:
        """A raw input (a file, table or API no node of the project writes) as an external asset
        ``source/<connection>/<location>`` with its URI; None when a node writes what ``read`` reads."""
        if plan.dataset(dataset_key(read.connection, path=read.path, table=read.table)) is not None:
            return None
        location = read.path or read.table or f"query_{hashlib.sha256((read.query or '').encode()).hexdigest()[:8]}"
        try:
            uri: str | None = dataset_uri(plan.connection(read.connection), plan.project, path=read.path,
                                          table=read.table)
        except Exception:  # noqa: BLE001 (a connection the URI scheme does not know: the key still names it)
            uri = None
        metadata: dict[str, Any] = {"odibi/connection": read.connection, "odibi/format": read.format,
                                    "odibi/location": location, **({"dagster/uri": uri} if uri else {})}
        return dg.AssetSpec(dg.AssetKey([*self.key_prefix, "source", read.connection, names.safe_name(location)]),
                            description=f"raw input read by odibi: {read.format} `{location}` on connection "
                                        f"`{read.connection}`", metadata=metadata, group_name="sources",
                            kinds={_format_kind(read.format)})

    def get_job_name(self, pipeline: PipelineSpec, plan: Plan) -> str:
        return names.op_name(*self.key_prefix, pipeline.name)

    # -- description and ownership --------------------------------------------------------------
    def get_description(self, node: PlanNode, plan: Plan) -> str | None:
        """The node's description, then what it reads, runs (SQL in code blocks), checks and writes."""
        return describe_node(node)

    def get_owners(self, node: PlanNode, plan: Plan) -> list[str]:
        owner = node.owner or plan.owner
        return [names.owner(owner)] if owner else []

    def get_tags(self, node: PlanNode, plan: Plan) -> dict[str, str]:
        """Node tags as Dagster labels (``{tag: ""}``); unsafe characters become ``_``."""
        return {names.tag_key(tag): "" for tag in node.tags}

    def get_kinds(self, node: PlanNode, plan: Plan) -> set[str]:
        """The engine (duckdb / spark) and where the data lands (delta, parquet, postgres, s3...)."""
        kinds = {ENGINE_KINDS.get(node.engine, names.tag_key(node.engine))}
        if node.write is not None:
            kinds |= self._storage_kinds(node.write, plan)
        return kinds

    def get_code_version(self, node: PlanNode, plan: Plan) -> str | None:
        """The node's content hash: it changes when its config, SQL or Python functions change."""
        return node.content_hash or None

    def get_metadata(self, node: PlanNode, plan: Plan) -> dict[str, Any]:
        """Where the node's data lives (URI, format, connection, table name), which node it is and where it is
        written in the project YAML (``dagster/code_references``: the UI's "open source" link)."""
        meta: dict[str, Any] = {"odibi/node": node.id, "odibi/pipeline": node.pipeline, "odibi/project": plan.project}
        dataset = plan.dataset(node.dataset) if node.dataset else None
        if dataset is not None:
            meta["dagster/uri"] = dataset.uri
        if node.write is not None:
            meta.update({"odibi/format": node.write.format, "odibi/connection": node.write.connection,
                         "odibi/write_mode": node.write.mode})
            if node.write.table:
                meta["dagster/table_name"] = node.write.table
        else:
            meta["odibi/dataset"] = "none: the output is kept per run under the system storage"
        if node.source:
            meta["dagster/code_references"] = _code_reference(node)
        if node.columns:  # declared in the project: the asset shows its columns before a first materialization
            from .metadata import column_schema

            docs = node.columns.thaw()
            meta["dagster/column_schema"] = column_schema([(name, "declared") for name in docs], docs)
        return meta

    # -- execution --------------------------------------------------------------------------------
    def get_retry_policy(self, node: PlanNode, plan: Plan) -> dg.RetryPolicy | None:
        """The manifest's ``retry``: attempts, delay and backoff (the runner's own retries are off)."""
        spec = node.retry
        if spec is None or spec.max_attempts <= 1:
            return None
        backoff = BACKOFFS.get(spec.backoff)
        return dg.RetryPolicy(max_retries=spec.max_attempts - 1, delay=spec.delay_seconds or None,
                              backoff=getattr(dg.Backoff, backoff) if backoff else None)

    def get_partitions_def(self, node: PlanNode, plan: Plan) -> dg.PartitionsDefinition | None:
        """Time partitions from a ``partition:daily`` / ``partition:hourly[:START]`` tag (see partitions.py)."""
        return partitions_def_for(node, plan)

    def get_automation_condition(self, node: PlanNode, plan: Plan) -> dg.AutomationCondition | None:
        """``automation:eager`` / ``automation:on_missing`` / ``automation:on_cron`` (the node's schedule)."""
        for tag in node.tags:
            if not tag.startswith(AUTOMATION_TAG):
                continue
            kind = tag[len(AUTOMATION_TAG):]
            if kind == "eager":
                return dg.AutomationCondition.eager()
            if kind == "on_missing":
                return dg.AutomationCondition.on_missing()
            if kind == "on_cron" and node.schedule:
                return dg.AutomationCondition.on_cron(node.schedule)
        return None

    def get_check_spec(self, node: PlanNode, test: TestSpec, name: str, plan: Plan) -> dg.AssetCheckSpec:
        """A validation test as an asset check; ``on_fail: fail`` checks block downstream assets."""
        args = json.dumps(dict(test.args), default=str, sort_keys=True)
        return dg.AssetCheckSpec(
            name, asset=self.get_asset_key(node, plan), blocking=test.on_fail == "fail",
            description=f"{test.type} (on_fail: {test.on_fail}) {args}",
            metadata={"odibi/test": test.name, "odibi/type": test.type, "odibi/on_fail": test.on_fail})

    def get_asset_spec(self, node: PlanNode, plan: Plan) -> dg.AssetSpec:
        """The whole AssetSpec, assembled from the ``get_*`` methods above."""
        return dg.AssetSpec(
            self.get_asset_key(node, plan), deps=self.get_deps(node, plan),
            description=self.get_description(node, plan), metadata=self.get_metadata(node, plan),
            group_name=self.get_group_name(node, plan), code_version=self.get_code_version(node, plan),
            automation_condition=self.get_automation_condition(node, plan), owners=self.get_owners(node, plan),
            tags=self.get_tags(node, plan), kinds=self.get_kinds(node, plan),
            partitions_def=self.get_partitions_def(node, plan))

    # -- helpers ----------------------------------------------------------------------------------
    def _storage_kinds(self, write: WriteSpec, plan: Plan) -> set[str]:
        try:
            connection = plan.connection(write.connection)
        except KeyError:
            return {_format_kind(write.format)}
        if connection.type == "sql":
            scheme = str(connection.options.get("url", "")).split(":", 1)[0].split("+", 1)[0].lower()
            return {SQL_KINDS.get(scheme, "sql")}
        kinds = {_format_kind(write.format)}
        if connection.type in CLOUD_KINDS:
            kinds.add(CLOUD_KINDS[connection.type])
        return kinds


def _format_kind(fmt: str) -> str:
    return FORMAT_KINDS.get(fmt, names.tag_key(fmt))


def _code_reference(node: PlanNode) -> dg.CodeReferencesMetadataValue:
    """The node's place in the project YAML (Dagster marks code references beta: a stable feature of the UI, so
    its warning is not repeated to every user loading the code location)."""
    file, _, line = str(node.source).rpartition(":")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.CodeReferencesMetadataValue(code_references=[
            dg.LocalFileCodeReference(file_path=file, line_number=int(line), label=f"odibi node {node.id}")])
