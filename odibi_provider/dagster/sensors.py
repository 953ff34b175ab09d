"""File-landing sensors: a node whose read watches a folder or a pattern runs when files arrive.

A read path with a glob (``landing/*.csv``) or ``options.watch: true`` is a landing zone: a sensor lists
the matching files and requests a run of the node (and its descendants) when new or changed files arrive.
Its cursor is ``{"mtime": newest mtime_ns seen, "seen": files at that mtime}`` (a file copied in with an
older mtime than the cursor's is not noticed). Only ``local`` connections can be watched for now.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..connections import open_connection
from ..manifest.substitution import Environment
from ..plan.model import Plan, PlanNode
from ._dg import dg
from .assets import OdibiAssetArgs

if TYPE_CHECKING:  # pragma: no cover - define_asset_job's return type, not exported by dagster
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

GLOB_CHARS = frozenset("*?[")
MIN_INTERVAL_SECONDS = 30
MAX_FILES_LOGGED = 20


def watch_pattern(node: PlanNode) -> str | None:
    """The path a node's read watches: a glob, or any path with ``options.watch: true``."""
    read = node.read
    if read is None or not read.path:
        return None
    if GLOB_CHARS.intersection(read.path) or bool(read.options.get("watch")):
        return read.path
    return None


@dataclass(frozen=True)
class FileSensorArgs:
    """A landing-zone sensor: which node's read it watches and which assets a new file runs."""

    name: str
    node_id: str
    connection: str
    pattern: str
    keys: tuple[dg.AssetKey, ...]
    partitions_def: dg.PartitionsDefinition | None = None


def build_file_sensor_args(plan: Plan, asset_args: Sequence[OdibiAssetArgs]) -> list[FileSensorArgs]:
    """One sensor per watching node; it runs the node and its descendants of the same partitioning."""
    by_node = {a.node_id: a for a in asset_args}
    sensors = []
    for node in plan.nodes:
        pattern, read = watch_pattern(node), node.read
        if pattern is None or read is None or node.id not in by_node:
            continue
        own = by_node[node.id]
        keys = [own.spec.key] + [by_node[d].spec.key for d in _descendants(plan, node.id)
                                 if d in by_node and by_node[d].spec.partitions_def == own.spec.partitions_def]
        sensors.append(FileSensorArgs(name=f"{own.op_name}_new_files", node_id=node.id,
                                      connection=read.connection, pattern=pattern, keys=tuple(keys),
                                      partitions_def=own.spec.partitions_def))
    return sensors


def _descendants(plan: Plan, node_id: str) -> list[str]:
    seen: dict[str, None] = {}
    stack = list(plan.downstream(node_id))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen[current] = None
            stack.extend(plan.downstream(current))
    return [n.id for n in plan.nodes if n.id in seen]


def new_files(listing: Mapping[str, int], cursor: str | None) -> tuple[list[str], str]:
    """The files in ``listing`` (path -> mtime_ns) not covered by ``cursor``, and the advanced cursor."""
    state: dict[str, Any] = json.loads(cursor) if cursor else {"mtime": -1, "seen": []}
    last, seen = int(state["mtime"]), set(state["seen"])
    fresh = sorted(p for p, m in listing.items() if m > last or (m == last and p not in seen))
    if not fresh:
        return [], json.dumps(state, sort_keys=True)
    newest = max(last, *(listing[p] for p in fresh))
    at_newest = sorted(p for p, m in listing.items() if m == newest)
    return fresh, json.dumps({"mtime": newest, "seen": at_newest}, sort_keys=True)


def list_files(location: str) -> dict[str, int]:
    """Data files at ``location`` (a glob, a folder, or one file) -> mtime_ns; hidden and ``_`` files skipped."""
    if GLOB_CHARS.intersection(location):
        candidates = glob.glob(location, recursive=True)
    elif os.path.isdir(location):
        candidates = [str(p) for p in Path(location).rglob("*")]
    else:
        candidates = [location]
    out = {}
    for path in candidates:
        if os.path.isfile(path) and not os.path.basename(path).startswith((".", "_")):
            out[path] = os.stat(path).st_mtime_ns
    return out


def build_file_sensor(args: FileSensorArgs, plan: Plan, job: UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    """The landing-zone sensor of ``args``, requesting a run of ``job`` for each batch of new files."""
    spec, project_dir = plan.connection(args.connection), Path(plan.project_dir)

    def evaluate(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        connection = open_connection(spec, project_dir, Environment.for_project(project_dir))
        if not getattr(connection, "is_local", False):
            return dg.SkipReason(f"watching {spec.type} connections is not supported yet ({args.node_id})")
        fresh, cursor = new_files(list_files(connection.resolve(args.pattern)), context.cursor)
        if not fresh:
            return dg.SensorResult(skip_reason=f"no new files at {args.pattern}", cursor=cursor)
        run_key = hashlib.sha256(cursor.encode() + "\0".join(fresh).encode()).hexdigest()[:20]
        shown = [os.path.basename(p) for p in fresh[:MAX_FILES_LOGGED]]
        partition = args.partitions_def.get_last_partition_key() if args.partitions_def else None
        request = dg.RunRequest(run_key=run_key, asset_selection=list(args.keys), partition_key=partition,
                                tags={"odibi/node": args.node_id, "odibi/new_files": str(len(fresh))})
        context.log.info(f"{len(fresh)} new file(s) for {args.node_id}: {', '.join(shown)}")
        return dg.SensorResult(run_requests=[request], cursor=cursor)

    return dg.SensorDefinition(name=args.name, evaluation_fn=evaluate, job=job,
                               minimum_interval_seconds=MIN_INTERVAL_SECONDS,
                               description=f"Runs odibi node {args.node_id} when files land at {args.pattern}")
