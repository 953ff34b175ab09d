"""OpenLineage dataset names from the Plan's dataset URIs (the URIs Airflow Assets and Dagster's
``dagster/uri`` metadata use, see ``plan/datasets.py``), by OpenLineage's naming conventions: the namespace is
the data source (``scheme://authority``), the name the dataset in it. Local data is named by project and
connection (``x-odibi://<project>/<connection>/<path>``), so lineage from two machines joins. Standard library
only.

==========================================  =====================================  ======================
Plan URI                                    namespace                              name
==========================================  =====================================  ======================
``x-odibi://shop/lake/sales.parquet``       ``x-odibi://shop``                     ``lake/sales.parquet``
``file:///data/sales.parquet``              ``file``                               ``/data/sales.parquet``
``s3://bucket/key`` / ``gs://bucket/key``   ``s3://bucket`` / ``gs://bucket``      ``key``
``abfs://container@account.dfs.core...``    ``abfss://container@account.dfs...``   path in the container
``postgresql://host:5432/db/schema/table``  ``postgres://host:5432``               ``db.schema.table``
``mssql://host/db/schema/table``            ``sqlserver://host``                   ``db.schema.table``
``sqlite:///path/app.db/table``             ``sqlite:///path/app.db``              ``table``
==========================================  =====================================  ======================
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..plan.datasets import ODIBI_SCHEME, dataset_uri
from ..plan.model import Plan, PlanNode, ReadSpec, WriteSpec

SQL_NAMESPACES = {"postgresql": "postgres", "postgres": "postgres", "mssql": "sqlserver", "mysql": "mysql",
                  "duckdb": "duckdb", "oracle": "oracle", "snowflake": "snowflake"}


@dataclass(frozen=True, slots=True)
class LineageDataset:
    """One dataset as OpenLineage names it, with the Plan URI it came from and the relation name the
    node's SQL sees it under (``read`` for the node's own read)."""

    namespace: str
    name: str
    uri: str
    relation: str = ""


def openlineage_name(uri: str) -> tuple[str, str]:
    """``(namespace, name)`` of a Plan dataset URI by OpenLineage's conventions (see the module table)."""
    parts = urlsplit(uri)
    scheme = parts.scheme
    if scheme == "file":
        return "file", unquote(parts.path)
    if scheme == "sqlite":
        database, _, table = unquote(uri[len("sqlite://"):]).rpartition("/")
        return f"sqlite://{database}", table
    if scheme in ("s3", "gs", ODIBI_SCHEME):
        return f"{scheme}://{parts.netloc}", unquote(parts.path).lstrip("/")
    if scheme in ("abfs", "abfss"):
        return f"abfss://{parts.netloc}", unquote(parts.path).lstrip("/")
    if scheme in SQL_NAMESPACES:
        return f"{SQL_NAMESPACES[scheme]}://{parts.netloc}", ".".join(p for p in parts.path.split("/") if p)
    return f"{scheme}://{parts.netloc}" if scheme else "file", unquote(parts.path) or uri


def _dataset(plan: Plan, spec: ReadSpec | WriteSpec, relation: str) -> LineageDataset | None:
    if spec.path is None and spec.table is None:
        return None  # a query read: no single dataset
    uri = dataset_uri(plan.connection(spec.connection), plan.project, path=spec.path, table=spec.table)
    namespace, name = openlineage_name(uri)
    return LineageDataset(namespace, name, uri, relation)


def node_inputs(plan: Plan, node: PlanNode) -> list[LineageDataset]:
    """The datasets a node reads: its own ``read`` and what its upstream nodes wrote (an upstream without
    ``write`` hands over in memory or through run intermediates: not a dataset)."""
    found = [d for d in [_dataset(plan, node.read, "read")] if d] if node.read else []
    aliases = {str(ref): alias for alias, ref in node.inputs.items()}
    for upstream_id in node.upstream:
        upstream = plan.node(upstream_id)
        if upstream.write is not None and (d := _dataset(plan, upstream.write, upstream.name)):
            relation = aliases.get(upstream_id, upstream.name)
            found.append(LineageDataset(d.namespace, d.name, d.uri, relation))
    return found


def node_outputs(plan: Plan, node: PlanNode) -> list[LineageDataset]:
    """The dataset a node writes (none without ``write``)."""
    if node.write is None:
        return []
    written = _dataset(plan, node.write, node.name)
    return [written] if written else []


def node_sql(node: PlanNode) -> str | None:
    """The node's SQL steps, in order (the job's ``sql`` facet)."""
    queries = [step.sql.strip() for step in node.steps if step.kind == "sql" and step.sql]
    return ";\n".join(queries) or None
