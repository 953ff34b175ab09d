"""The Plan: a frozen, JSON-serialisable description of everything a project will run.

Both host adapters and the in-process runner consume only this. Secrets stay ``${env:...}``
references; options and params are :class:`FrozenMap`; collections are tuples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .frozen import EMPTY, FrozenMap

PLAN_FORMAT = 5  # 2: transform_modules hold sources; 3: the spark block; 4: gates, granularity, node sources;
# 5: local datasets named x-odibi://project/connection/path (a cached Plan must not keep machine paths)


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """A named connection; ``options`` keep secrets as ``${env:NAME}`` references."""

    name: str
    type: str
    options: FrozenMap = EMPTY
    airflow_conn_id: str | None = None


@dataclass(frozen=True, slots=True)
class IncrementalSpec:
    """Odibi's incremental read, durations in seconds (see ``manifest.models.Incremental``)."""

    column: str
    mode: str = "stateful"  # stateful | rolling_window
    fallback_column: str | None = None
    window_seconds: int | None = None  # rolling_window: rows newer than now minus this
    lag_seconds: int | None = None  # stateful: start this far before the stored mark
    state_key: str | None = None
    date_format: str | None = None  # how to parse a text column (Odibi's names)


@dataclass(frozen=True, slots=True)
class ReadSpec:
    connection: str
    format: str
    path: str | None = None
    table: str | None = None
    query: str | None = None
    options: FrozenMap = EMPTY
    incremental: IncrementalSpec | None = None


@dataclass(frozen=True, slots=True)
class WriteSpec:
    connection: str
    format: str
    path: str | None = None
    table: str | None = None
    mode: str = "overwrite"
    keys: tuple[str, ...] = ()
    options: FrozenMap = EMPTY
    partition_by: tuple[str, ...] = ()
    merge_schema: bool = False  # add new columns instead of refusing them (existing rows read NULL)
    add_metadata: tuple[str, ...] = ()  # Odibi's lineage columns added before the write (runner/write_metadata.py)
    # skip_if_unchanged: the columns whose content decides (() = all); None = always write
    skip_unchanged: tuple[str, ...] | None = None
    # mode merge / scd2: Odibi's merge or scd2 params (engines/sql/scd.py), applied against the existing target
    operation: FrozenMap = EMPTY

    def as_read(self) -> ReadSpec:
        """How to read back what this write writes (downstream hand-offs, targets that patterns maintain)."""
        return ReadSpec(connection=self.connection, format=self.format, path=self.path, table=self.table)


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One transform step: ``sql`` text, a registered ``function``, or a built-in ``transformer``."""

    kind: str
    sql: str | None = None
    name: str | None = None
    params: FrozenMap = EMPTY
    engine: str | None = None
    version: str | None = None
    source_hash: str | None = None


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """A dimensional pattern (``dimension``, ``date_dimension``, ``fact``, ``aggregation``) with its checked
    params, Odibi's defaults filled in; it runs before the node's steps (``runner/patterns.py``)."""

    type: str
    params: FrozenMap = EMPTY


@dataclass(frozen=True, slots=True)
class TestSpec:
    """A validation test: ``args`` holds its own keys (columns, column, values, min, max, ...)."""

    type: str
    name: str
    on_fail: str = "fail"
    args: FrozenMap = EMPTY


@dataclass(frozen=True, slots=True)
class GateSpec:
    """Odibi's quality gate (``validation.gate``): ``thresholds`` are (test name or type, min pass rate)."""

    require_pass_rate: float = 0.95
    on_fail: str = "abort"  # abort | warn_and_write | write_valid_only
    thresholds: tuple[tuple[str, float], ...] = ()
    row_min: int | None = None
    row_max: int | None = None
    change_threshold: float | None = None


@dataclass(frozen=True, slots=True)
class ValidationSpec:
    """The node's validation settings beside its tests: ``mode`` (fail | warn), whether failures are
    ``alert``ed as events, the gate, and the quarantine extras (Odibi's metadata columns, row cap, retention)."""

    mode: str = "fail"
    alert: bool = True
    gate: GateSpec | None = None
    quarantine_columns: tuple[str, ...] = ()
    quarantine_max_rows: int | None = None
    quarantine_sample_fraction: float | None = None
    quarantine_retention_days: int | None = None


@dataclass(frozen=True, slots=True)
class RetrySpec:
    max_attempts: int = 3
    backoff: str = "exponential"
    delay_seconds: float = 1.0
    max_delay_seconds: float | None = None

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        base = self.delay_seconds
        if self.backoff == "exponential":
            base *= 2 ** (attempt - 1)
        elif self.backoff == "linear":
            base *= attempt
        return min(base, self.max_delay_seconds) if self.max_delay_seconds is not None else base


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A dataset a node writes: its identity ``key`` (connection:location) and a URI for hosts."""

    key: str
    uri: str
    node_id: str
    connection: str
    format: str
    path: str | None = None
    table: str | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    upstream: str
    downstream: str
    kind: str  # depends_on | input | dataset


@dataclass(frozen=True, slots=True)
class PlanNode:
    """One node, fully resolved: engine, layer, inputs by node id, steps, tests, write, retry, hash."""

    id: str
    name: str
    pipeline: str
    layer: str
    engine: str
    level: int = 0
    description: str | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None
    depends_on: tuple[str, ...] = ()
    inputs: FrozenMap = EMPTY
    upstream: tuple[str, ...] = ()
    read: ReadSpec | None = None
    steps: tuple[StepSpec, ...] = ()
    pattern: PatternSpec | None = None
    tests: tuple[TestSpec, ...] = ()
    quarantine: WriteSpec | None = None
    validation: ValidationSpec = ValidationSpec()
    contracts: tuple[TestSpec, ...] = ()  # checked on the input before the steps; a failure stops the node
    write: WriteSpec | None = None
    dataset: str | None = None
    on_error: str = "fail_fast"
    retry: RetrySpec | None = None
    schedule: str | None = None
    cache: bool = False
    sensitive: tuple[str, ...] | bool | None = None  # None: mask what looks personal (story/record.py)
    columns: FrozenMap = EMPTY  # Odibi's column docs: name -> {description, pii, tags}
    content_hash: str = ""
    source: str | None = None  # "file:line" of the node in the project YAML (hosts link to it)
    explanation: str | None = None  # Odibi's Markdown explanation (shown with the description)

    @property
    def primary_input(self) -> str | None:
        """The upstream node whose data a node without ``read`` starts from (its first dependency)."""
        return self.depends_on[0] if self.depends_on else None


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    name: str
    layer: str
    nodes: tuple[str, ...]
    description: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    schedule: str | None = None
    granularity: str = "node"  # one host step per node, or one per pipeline ("pipeline")


@dataclass(frozen=True, slots=True)
class StorySpec:
    connection: str | None = None
    path: str = "stories"
    enabled: bool = True
    max_sample_rows: int = 10
    auto_generate: bool = True  # false: the JSON records only, no HTML page
    retention_days: int | None = 30  # runs older than this are pruned after a run (runner/retention.py)
    retention_count: int | None = 100  # only the newest runs are kept


@dataclass(frozen=True, slots=True)
class SystemSpec:
    connection: str | None = None
    path: str = ".odibi"
    environment: str | None = None  # Odibi's environment tag, written into run records and stories


@dataclass(frozen=True)
class Plan:
    """The compiled project. Nodes are in topological order; ``levels`` group nodes that may run together."""

    project: str
    project_dir: str
    engine: str
    nodes: tuple[PlanNode, ...]
    edges: tuple[Edge, ...] = ()
    datasets: tuple[DatasetSpec, ...] = ()
    levels: tuple[tuple[str, ...], ...] = ()
    pipelines: tuple[PipelineSpec, ...] = ()
    connections: tuple[ConnectionSpec, ...] = ()
    vars: FrozenMap = EMPTY
    story: StorySpec = field(default_factory=StorySpec)
    system: SystemSpec = field(default_factory=SystemSpec)
    env: str | None = None
    description: str | None = None
    owner: str | None = None
    source_hash: str = ""
    env_refs: tuple[str, ...] = ()
    date_refs: tuple[str, ...] = ()
    transform_modules: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    spark: FrozenMap = EMPTY  # the project's spark: block (master, remote, conf, delta)
    alerts: tuple[FrozenMap, ...] = ()  # the project's alerts: (url kept as a ${env:...} reference)
    lineage: FrozenMap | None = None  # the project's lineage: block (OpenLineage)
    version: str = "1.0.0"  # the project's version (free text), shown in stories and run records
    logging: FrozenMap | None = None  # the project's logging: block (applied by run_project)
    performance: FrozenMap = EMPTY  # the project's performance: settings that apply (max_workers, duckdb_*)
    format: int = PLAN_FORMAT

    @cached_property
    def _by_id(self) -> dict[str, PlanNode]:
        return {n.id: n for n in self.nodes}

    @cached_property
    def _downstream(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {n.id: [] for n in self.nodes}
        for node in self.nodes:
            for up in node.upstream:
                out[up].append(node.id)
        return {k: tuple(v) for k, v in out.items()}

    def node(self, node_id: str) -> PlanNode:
        """The node with this id; a KeyError suggests the nearest ids."""
        try:
            return self._by_id[node_id]
        except KeyError:
            from .._suggest import did_you_mean

            raise KeyError(f"no node '{node_id}' in the plan; "
                           f"{did_you_mean(node_id, self._by_id) or 'node ids are pipeline.node'}") from None

    def downstream(self, node_id: str) -> tuple[str, ...]:
        return self._downstream[node_id]

    def connection(self, name: str) -> ConnectionSpec:
        for spec in self.connections:
            if spec.name == name:
                return spec
        raise KeyError(f"no connection '{name}' in the plan")

    @cached_property
    def _datasets_by_key(self) -> dict[str, DatasetSpec]:
        return {d.key: d for d in self.datasets}

    def dataset(self, key: str) -> DatasetSpec | None:
        return self._datasets_by_key.get(key)

    def pipeline(self, name: str) -> PipelineSpec:
        for spec in self.pipelines:
            if spec.name == name:
                return spec
        raise KeyError(f"no pipeline '{name}' in the plan")

    def to_json(self, *, indent: int | None = None) -> str:
        from .codec import plan_to_json

        return plan_to_json(self, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        from .codec import plan_from_json

        return plan_from_json(text)

    def summary(self) -> dict[str, Any]:
        return {"project": self.project, "nodes": len(self.nodes), "edges": len(self.edges),
                "datasets": len(self.datasets), "levels": len(self.levels),
                "pipelines": [p.name for p in self.pipelines]}
