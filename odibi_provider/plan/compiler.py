"""Compile a validated project and the function registry into one frozen :class:`Plan`.

Edges come from ``depends_on`` (same pipeline), ``inputs`` (``$pipeline.node``, any pipeline) and a
node reading a dataset another node writes. Every problem is collected before raising.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._suggest import did_you_mean
from ..errors import Problem, ProjectError
from ..manifest.loader import LoadedProject
from ..manifest.models import NodeConfig, PipelineConfig
from ..manifest.yaml_source import locate
from ..registry import REGISTRY, Registry
from .catalog import with_default_roots
from .datasets import dataset_key, dataset_uri
from .frozen import FrozenMap
from .graph import describe_cycle, topological_levels
from .model import (
    ConnectionSpec,
    DatasetSpec,
    Edge,
    PipelineSpec,
    Plan,
    PlanNode,
    RetrySpec,
    StorySpec,
    SystemSpec,
)
from .nodes import NodeBuilder, report_into
from .patterns import PATTERNS, compile_pattern, generates, stored_datasets
from .patterns_write import write_settings
from .static_checks import check_static
from .validation import validation_spec


@dataclass(slots=True)
class _Entry:
    path: tuple[Any, ...]
    pipeline: PipelineConfig
    config: NodeConfig
    node: PlanNode


def compile_plan(loaded: LoadedProject, *, registry: Registry | None = None, source_hash: str = "") -> Plan:
    """Compile ``loaded`` into a Plan; raise :class:`ProjectError` listing every problem."""
    registry = registry or REGISTRY
    problems: list[Problem] = [p for p in loaded.warnings if p.severity == "warning"]
    report = report_into(problems, loaded.problem)
    modules = _load_transforms(loaded, registry, report)
    config = loaded.config
    connections = with_default_roots({name: _connection_spec(name, conn) for name, conn in config.connections.items()},
                                     config.system.connection, config.system.path)
    builder = NodeBuilder(connections=connections, registry=registry, report=report, scope=tuple(modules))
    entries, disabled = _build_nodes(loaded, builder, report)
    _check_refs(entries, disabled, report)
    check_static(entries.values(), connections, loaded.project_dir, report)
    datasets = _datasets(entries, connections, config.project, report)
    _add_dataset_edges(entries, datasets)
    levels = _levels(entries, report)
    for ref in ("story", "system"):
        conn = getattr(config, ref).connection
        if conn and conn not in connections:
            report(f"unknown connection '{conn}'", (ref, "connection"), code="reference",
                   hint=did_you_mean(conn, connections))
    _check_stores(config, connections, entries, report)
    explanations = {node_id: _explanation(loaded, entry, report) for node_id, entry in entries.items()}
    if any(p.severity == "error" for p in problems):
        raise ProjectError(problems)
    order = {node_id: (depth, i) for depth, level in enumerate(levels) for i, node_id in enumerate(level)}
    nodes = tuple(sorted((replace(e.node, level=order[e.node.id][0], source=_source(loaded, e.path),
                                  explanation=explanations[e.node.id])
                          for e in entries.values()), key=lambda n: order[n.id]))
    edges = tuple(Edge(up, n.id, _edge_kind(entries[n.id], up)) for n in nodes for up in n.upstream)
    return Plan(
        project=config.project, project_dir=str(loaded.project_dir), engine=config.engine, nodes=nodes,
        edges=edges, datasets=tuple(datasets.values()), levels=tuple(tuple(lv) for lv in levels),
        pipelines=tuple(_pipeline_spec(p, entries, config.granularity) for p in config.pipelines),
        connections=tuple(connections.values()), vars=FrozenMap(config.vars),
        story=StorySpec(**config.story.model_dump(include=set(StorySpec.__dataclass_fields__))),
        system=SystemSpec(**config.system.model_dump(include=set(SystemSpec.__dataclass_fields__))),
        env=loaded.env, description=config.description, owner=config.owner, source_hash=source_hash,
        env_refs=loaded.env_refs, date_refs=loaded.date_refs, transform_modules=tuple(_transform_sources(loaded)),
        disabled=tuple(disabled),
        spark=FrozenMap(_spark_block(config)),
        alerts=tuple(FrozenMap(a.model_dump()) for a in config.alerts),
        lineage=FrozenMap(config.lineage.model_dump()) if config.lineage else None, version=config.version,
        logging=FrozenMap(config.logging.model_dump()) if config.logging else None,
        performance=FrozenMap(config.performance.model_dump(
            include={"max_workers", "duckdb_threads", "duckdb_memory_limit"}, exclude_none=True)))


def _explanation(loaded: LoadedProject, entry: _Entry, report: Any) -> str | None:
    """The node's ``explanation``, or the text of its ``explanation_file`` (relative to the YAML file that
    defines the node); a file that cannot be read is reported at the key."""
    config = entry.config
    if not config.explanation_file:
        return config.explanation
    target = _explanation_path(loaded, entry.path, config.explanation_file)
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report(f"cannot read explanation_file '{config.explanation_file}' ({target}): {exc.__class__.__name__}",
               (*entry.path, "explanation_file"), hint="give a Markdown file path relative to this YAML file")
        return None


def _explanation_path(loaded: LoadedProject, path: tuple[Any, ...], name: str) -> Path:
    found = locate(loaded.data, path)
    return (Path(found[0]).parent if found else loaded.project_dir) / name


def explanation_files(loaded: LoadedProject) -> list[Path]:
    """The ``explanation_file``s the Plan reads (the plan cache watches them)."""
    return [_explanation_path(loaded, ("pipelines", i, "nodes", j), node.explanation_file)
            for i, pipeline in enumerate(loaded.config.pipelines) for j, node in enumerate(pipeline.nodes)
            if node.explanation_file]


def _source(loaded: LoadedProject, path: tuple[Any, ...]) -> str | None:
    """``file:line`` where the node at ``path`` is written (None for a project built in Python)."""
    found = locate(loaded.data, path)
    return f"{found[0]}:{found[1]}" if found else None


def _spark_block(config: Any) -> dict[str, Any]:
    """The ``spark:`` block with ``performance.spark_config`` joined into its conf (``spark.conf`` wins)."""
    block = config.spark.model_dump(exclude_none=True) if config.spark else {}
    if config.performance.spark_config:
        block["conf"] = {**config.performance.spark_config, **block.get("conf", {})}
    return block


STORE_TYPES = ("local", "s3", "azure_blob", "azure_adls", "gcs", "delta")  # delta: a catalog's local root


def _check_stores(config: Any, connections: dict[str, ConnectionSpec], entries: dict[str, _Entry],
                  report: Any) -> None:
    """``story``/``system`` live on a file connection (local or an object store), at a path below it; the
    Spark engine keeps intermediates only on a local system store."""
    for ref in ("story", "system"):
        block = getattr(config, ref)
        spec = connections.get(block.connection or "")
        if spec is None:
            continue
        if spec.type not in STORE_TYPES:
            report(f"'{ref}' needs a file connection; '{spec.name}' is a {spec.type} connection",
                   (ref, "connection"), code="reference",
                   hint=f"use a connection of type {', '.join(STORE_TYPES)}, or drop 'connection' for a folder "
                        "in the project")
        elif spec.type != "local":
            path = block.path.replace("\\", "/")
            if path.startswith("/") or "://" in path or ".." in path.split("/"):
                report(f"path '{block.path}' must be relative to the {spec.type} connection '{spec.name}'",
                       (ref, "path"), hint="write it without a scheme, a leading '/' or '..'")
    system = connections.get(config.system.connection or "")
    if system is None or system.type not in STORE_TYPES or system.type == "local":
        return
    upstreams = {u for entry in entries.values() for u in entry.node.upstream}
    spark = sorted(node_id for node_id, entry in entries.items()
                   if entry.node.engine == "spark" and entry.node.write is None and node_id in upstreams)
    if spark:
        report(f"the spark engine keeps intermediates only on a local system store, and node(s) "
               f"{', '.join(spark)} have no 'write' but feed other nodes", ("system", "connection"),
               hint="give those nodes a 'write', or keep 'system' on a local connection")


def _transform_sources(loaded: LoadedProject) -> list[str]:
    """The project's transform modules as written (``transforms.py``, ``lib/x.py``, ``pkg.mod``): what a
    fresh process (an Airflow or Dagster task loading a cached Plan) passes to ``Registry.load_module``."""
    modules = list(loaded.config.transforms)
    if "transforms.py" not in modules and (loaded.project_dir / "transforms.py").is_file():
        modules.insert(0, "transforms.py")
    return modules


def _load_transforms(loaded: LoadedProject, registry: Registry, report: Any) -> list[str]:
    modules = _transform_sources(loaded)
    loaded_names = []
    for index, module in enumerate(modules):
        try:
            loaded_names.append(registry.load_module(module, loaded.project_dir))
        except Exception as exc:  # noqa: BLE001 (any import failure becomes a located problem)
            last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" ({last.filename}:{last.lineno})" if last else ""
            report(f"cannot import transforms '{module}': {type(exc).__name__}: {exc}{where}",
                   ("transforms", index) if module in loaded.config.transforms else ("project",),
                   code="transforms", hint="fix the module so that `python -c 'import ...'` works")
    return loaded_names


def _connection_spec(name: str, conn: Any) -> ConnectionSpec:
    if hasattr(conn, "as_spec"):  # Odibi's shapes (sql_server, postgres, azure auth blocks) -> this package's
        kind, options = conn.as_spec()
        return ConnectionSpec(name=name, type=kind, options=FrozenMap(options), airflow_conn_id=conn.airflow_conn_id)
    options = conn.model_dump(by_alias=True, exclude_none=True,
                              exclude={"type", "airflow_conn_id", "description"})
    return ConnectionSpec(name=name, type=conn.type, options=FrozenMap(options),
                          airflow_conn_id=conn.airflow_conn_id)


def _build_nodes(loaded: LoadedProject, builder: NodeBuilder, report: Any) -> tuple[dict[str, _Entry], list[str]]:
    config = loaded.config
    entries: dict[str, _Entry] = {}
    disabled: list[str] = []
    seen_pipelines: dict[str, int] = {}
    for pi, pipeline in enumerate(config.pipelines):
        if pipeline.pipeline in seen_pipelines:
            first = seen_pipelines[pipeline.pipeline]
            report(f"duplicate pipeline name '{pipeline.pipeline}' (also pipelines[{first}])",
                   ("pipelines", pi, "pipeline"), code="duplicate", hint="pipeline names must be unique")
            continue
        seen_pipelines[pipeline.pipeline] = pi
        seen_nodes: dict[str, int] = {}
        for ni, node in enumerate(pipeline.nodes):
            path = ("pipelines", pi, "nodes", ni)
            node_id = f"{pipeline.pipeline}.{node.name}"
            if node.name in seen_nodes:
                report(f"duplicate node name '{node.name}' in pipeline '{pipeline.pipeline}' "
                       f"(also nodes[{seen_nodes[node.name]}])", (*path, "name"), code="duplicate",
                       node=node_id, hint="node names must be unique within a pipeline")
                continue
            seen_nodes[node.name] = ni
            if not node.enabled:
                disabled.append(node_id)
                continue
            entries[node_id] = _Entry(path, pipeline, node, _node(node, node_id, pipeline, config, builder, path))
    return entries, disabled


def _node(node: NodeConfig, node_id: str, pipeline: PipelineConfig, config: Any, builder: NodeBuilder,
          path: tuple[Any, ...]) -> PlanNode:
    engine = node.engine or pipeline.engine or config.engine
    layer = pipeline.layer or pipeline.pipeline
    builder.function_hashes = []
    pattern = compile_pattern(node, path, builder.report, builder.connections)
    steps = builder.steps(node.model_copy(update={"transformer": None, "params": {}})
                          if node.transformer in PATTERNS else node, engine, path)
    retry_cfg = node.retry or config.retry
    retry = (RetrySpec(retry_cfg.max_attempts, retry_cfg.backoff, retry_cfg.delay_seconds,
                       retry_cfg.max_delay_seconds) if retry_cfg and retry_cfg.enabled else None)
    quarantine = builder.write(node.validation.quarantine if node.validation else None,
                               (*path, "validation", "quarantine"))
    tests = builder.tests(node)
    contracts = builder.tests(node, node.contracts)
    for index, contract in enumerate(contracts):
        if contract.on_fail == "quarantine":
            builder.report("a contract stops the node or warns; it cannot quarantine rows",
                           (*path, "contracts", index, "on_fail"), code="contract",
                           hint="use on_fail: fail or warn, or move the test to validation.tests")
    if any(t.on_fail == "quarantine" for t in tests) and quarantine is None:
        builder.report("a test has on_fail: quarantine but the node has no 'validation.quarantine' target",
                       (*path, "validation"), code="quarantine",
                       hint="add validation.quarantine: {connection: ..., path: ...}")
    if (node.read is None and not node.depends_on and not node.inputs and not generates(node)
            and not builder.generates(steps, engine)):
        builder.report("the node has no data: give it a 'read', 'depends_on' or 'inputs'", path,
                       code="no_input", node=node_id)
    payload = json.dumps([node.model_dump(mode="json", exclude_defaults=True), engine, layer,
                          builder.function_hashes], sort_keys=True, default=str)
    sensitive = tuple(node.sensitive) if isinstance(node.sensitive, list) else node.sensitive
    around = {"pre_sql": node.pre_sql, "post_sql": node.post_sql}  # SQL targets, in the write's transaction
    if (pii := tuple(name for name, doc in node.columns.items() if doc.pii)) and sensitive is not True:
        sensitive = tuple(dict.fromkeys([*(sensitive or ()), *pii]))  # Odibi's columns.<name>.pii: masked
    return PlanNode(
        id=node_id, name=node.name, pipeline=pipeline.pipeline, layer=layer, engine=engine,
        description=node.description, tags=tuple(dict.fromkeys([*pipeline.tags, *node.tags])),
        owner=node.owner or pipeline.owner or config.owner, read=builder.read(node.read, path), steps=steps,
        pattern=pattern, tests=tests, quarantine=quarantine, contracts=contracts,
        validation=validation_spec(node.validation),
        write=write_settings(node, builder.write(node.write, (*path, "write"), read=node.read, around=around),
                             builder.report, path),
        on_error=node.on_error, retry=retry, schedule=node.schedule, cache=node.cache, sensitive=sensitive,
        columns=FrozenMap({name: doc.model_dump() for name, doc in node.columns.items()}),
        content_hash=hashlib.sha256(payload.encode()).hexdigest()[:16])


def _check_refs(entries: dict[str, _Entry], disabled: list[str], report: Any) -> None:
    """Resolve ``depends_on`` and ``inputs`` to node ids, reporting unknown or disabled targets."""
    known_ids = set(entries) | set(disabled)
    for entry in entries.values():
        node, pipeline = entry.config, entry.pipeline.pipeline
        depends = []
        for index, name in enumerate(node.depends_on):
            target = name if "." in name else f"{pipeline}.{name}"
            if _resolves(target, entries, disabled, report, (*entry.path, "depends_on", index), entry, known_ids):
                depends.append(target)
        inputs = {}
        for name, ref in node.inputs.items():
            target = ref[1:]
            if _resolves(target, entries, disabled, report, (*entry.path, "inputs", name), entry, known_ids):
                inputs[name] = target
        upstream = tuple(dict.fromkeys([*depends, *inputs.values()]))
        entry.node = replace(entry.node, depends_on=tuple(depends), inputs=FrozenMap(inputs), upstream=upstream)


def _resolves(target: str, entries: dict[str, _Entry], disabled: list[str], report: Any,
              path: tuple[Any, ...], entry: _Entry, known_ids: set[str]) -> bool:
    if target in entries:
        return True
    if target in disabled:
        report(f"depends on '{target}', which is disabled", path, code="reference", node=entry.node.id,
               hint="enable that node or remove the dependency")
    else:
        report(f"unknown node '{target}'", path, code="reference", node=entry.node.id,
               hint=did_you_mean(target, known_ids - {entry.node.id})
               or "reference nodes as 'name' in the same pipeline or '$pipeline.node' in inputs")
    return False


def _datasets(entries: dict[str, _Entry], connections: dict[str, ConnectionSpec], project: str,
              report: Any) -> dict[str, DatasetSpec]:
    datasets: dict[str, DatasetSpec] = {}
    for entry in entries.values():
        write = entry.node.write
        if write is None or write.connection not in connections:
            continue
        key = dataset_key(write.connection, path=write.path, table=write.table)
        if key in datasets:
            report(f"'{entry.node.id}' writes the same dataset as '{datasets[key].node_id}'",
                   (*entry.path, "write"), code="duplicate", node=entry.node.id,
                   hint="give each node its own target; combine sources with a union node")
            continue
        uri = dataset_uri(connections[write.connection], project, path=write.path, table=write.table)
        datasets[key] = DatasetSpec(key=key, uri=uri, node_id=entry.node.id, connection=write.connection,
                                    format=write.format, path=write.path, table=write.table)
        entry.node = replace(entry.node, dataset=key)
    return datasets


def _add_dataset_edges(entries: dict[str, _Entry], datasets: dict[str, DatasetSpec]) -> None:
    for entry in entries.values():
        read = entry.node.read
        keys = [dataset_key(read.connection, path=read.path, table=read.table)] if read and not read.query else []
        for connection, path in stored_datasets(entry.node.pattern):  # a fact's stored dimensions
            keys += [dataset_key(connection, path=path), dataset_key(connection, table=path)]
        for key in keys:
            writer = datasets.get(key)
            if writer and writer.node_id != entry.node.id and writer.node_id not in entry.node.upstream:
                entry.node = replace(entry.node, upstream=(*entry.node.upstream, writer.node_id))


def _levels(entries: dict[str, _Entry], report: Any) -> list[list[str]]:
    try:
        return topological_levels({node_id: e.node.upstream for node_id, e in entries.items()})
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        first = entries[min(cycle)]
        report(f"dependency cycle: {describe_cycle(cycle)}", first.path, code="cycle", node=first.node.id,
               hint="remove one of these dependencies (depends_on, inputs, or a read of another node's write)")
        return []


def _edge_kind(entry: _Entry, upstream: str) -> str:
    if upstream in entry.node.depends_on:
        return "depends_on"
    return "input" if upstream in entry.node.inputs.values() else "dataset"


def _pipeline_spec(pipeline: PipelineConfig, entries: dict[str, _Entry], granularity: str) -> PipelineSpec:
    nodes = tuple(f"{pipeline.pipeline}.{n.name}" for n in pipeline.nodes
                  if f"{pipeline.pipeline}.{n.name}" in entries)
    return PipelineSpec(name=pipeline.pipeline, layer=pipeline.layer or pipeline.pipeline, nodes=nodes,
                        description=pipeline.description, owner=pipeline.owner, tags=tuple(pipeline.tags),
                        schedule=pipeline.schedule, granularity=pipeline.granularity or granularity)
