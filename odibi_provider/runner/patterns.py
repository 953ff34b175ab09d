"""Run a node's dimensional pattern (``PlanNode.pattern``) on its engine, before its steps.

The SQL comes from ``engines/sql/patterns``; this module supplies the relations it reads: ``df`` (the
node's data), the upstream nodes by name (``fact`` dimensions) and ``target``, the node's own write as it
exists now (``dimension`` and incremental ``aggregation`` maintain it), and acts on the ``fact`` checks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..connections.base import SqlConnection
from ..engines.base import Engine
from ..engines.sql.patterns import aggregation_sql, date_dimension_sql, dimension_sql, fact_queries
from ..errors import ExecutionError
from ..plan.model import PlanNode, ReadSpec, WriteSpec
from .context import RunContext
from .results import StepRecord


def apply_pattern(ctx: RunContext, node: PlanNode, engine: Engine, frame: Any, relations: Mapping[str, Any],
                  records: list[StepRecord]) -> Any:
    """The pattern's output (``frame`` unchanged when the node has no pattern)."""
    spec = node.pattern
    if spec is None:
        return frame
    started = time.perf_counter()
    params, d = spec.params.thaw(), engine.dialect
    if spec.type == "date_dimension":
        sql = date_dimension_sql(d, params)
        frame = engine.sql(sql, {})
    elif spec.type == "fact":
        frame, sql = _fact(ctx, node, engine, frame, relations, params)
    else:
        target = _target(ctx, node, engine) if params.get("target") else None
        if spec.type == "dimension":
            sql = dimension_sql(d, params, engine.schema(frame), engine.schema(target) if target is not None else None)
        else:
            sql = aggregation_sql(d, params, target is not None)
        frame = engine.sql(sql, {**relations, "df": frame, **({"target": target} if target is not None else {})})
        if target is not None:  # the write replaces what the query reads
            frame = engine.materialize(frame)
    records.append(StepRecord("pattern", spec.type, sql, params, time.perf_counter() - started))
    return frame


def _target(ctx: RunContext, node: PlanNode, engine: Engine) -> Any | None:
    """The node's own write target as it stands, or None before its first write. Only a target that does not
    exist counts as a first load: any other read failure fails the node (re-keying a dimension because its
    target was briefly unreadable would break every fact that points at it)."""
    write = node.write
    if write is None:
        return None
    connection = ctx.connection(write.connection)
    if not target_exists(connection, write.path, write.table):
        return None
    spec = write.as_read()
    return engine.materialize(engine.read(spec, connection))


def target_exists(connection: Any, path: str | None, table: str | None) -> bool:
    if isinstance(connection, SqlConnection):
        import sqlalchemy

        return bool(sqlalchemy.inspect(connection.engine()).has_table(table or "", schema=connection.schema))
    location = connection.resolve(path or "")
    fs = connection.filesystem()
    return bool(fs.exists(getattr(connection, "fs_path", lambda loc: loc)(location)))


def _fact(ctx: RunContext, node: PlanNode, engine: Engine, frame: Any, relations: Mapping[str, Any],
          params: dict[str, Any]) -> tuple[Any, str]:
    scope, stored = {**relations, "df": frame}, {}
    for i, dim in enumerate(params.get("dimensions") or []):
        if dim["dimension_table"] not in scope:  # a stored dimension, '<connection>.<path>'
            stored[dim["dimension_table"]] = f"_odibi_dim_{i}"
            scope[f"_odibi_dim_{i}"] = _stored(ctx, node, engine, dim["dimension_table"])
    queries = fact_queries(engine.dialect, params, engine.schema(frame), stored)
    handling, set_aside = params.get("orphan_handling", "unknown"), None
    if handling != "unknown" and params.get("dimensions"):
        orphans = engine.materialize(engine.sql(queries.orphans, scope))
        count = engine.count(orphans)
        if count and handling == "reject":
            example = engine.sample(orphans, 1)[0]
            raise ExecutionError(f"{count} fact row(s) have no match in their dimension (orphan_handling: "
                                 f"reject), e.g. {example}; load the dimension first, or use orphan_handling: "
                                 "unknown or quarantine", node=node.id, retryable=False)
        target = _quarantine(params.get("quarantine"), node)
        if count and target is not None:
            set_aside = (orphans, target)
    if queries.duplicates:
        dupes = engine.sample(engine.sql(queries.duplicates, scope), 5)
        if dupes:
            raise ExecutionError(f"the fact grain {params['grain']} is not unique: {len(dupes)}"
                                 f"{'+' if len(dupes) == 5 else ''} duplicate key(s), e.g. {dupes[0]}; "
                                 "fix the source (or a dimension repeating a key: scd2: true looks up current "
                                 "rows only), or set deduplicate: true with keys", node=node.id,
                                 retryable=False)
    if set_aside is not None:  # once the fact is known to be writable
        orphans, target = set_aside
        engine.write(orphans, target, ctx.connection(target.connection), write_id=f"{ctx.write_id(node.id)}:orphans")
    return engine.sql(queries.result, scope), queries.result


def _quarantine(spec: Mapping[str, Any] | None, node: PlanNode) -> WriteSpec | None:
    """The fact's ``quarantine`` param as an append target (else the node's validation quarantine)."""
    if not spec:
        return replace(node.quarantine, merge_schema=True) if node.quarantine is not None else None
    return WriteSpec(connection=spec["connection"], format="sql" if spec.get("table") else "parquet",
                     path=spec.get("path"), table=spec.get("table"), mode="append", merge_schema=True)


def _stored(ctx: RunContext, node: PlanNode, engine: Engine, name: str) -> Any:
    """A dimension named ``<connection>.<path>``: the dataset a node of this project writes there (its
    format), else a Delta table or parquet at that path."""
    connection, path = name.split(".", 1)
    written = [ds.format for ds in ctx.plan.datasets if ds.connection == connection and path in (ds.path, ds.table)]
    errors = []
    for fmt in written or ["delta", "parquet"]:
        spec = ReadSpec(connection=connection, format=fmt, path=path) if fmt != "sql" else ReadSpec(
            connection=connection, format=fmt, table=path)
        try:
            return engine.materialize(engine.read(spec, ctx.connection(connection)))
        except Exception as exc:  # noqa: BLE001 (try the next format; all failing is reported below)
            errors.append(f"{fmt}: {exc}")
    raise ExecutionError(f"dimension_table '{name}' could not be read ({'; '.join(errors)}); build the dimension "
                         "first, or name its node in depends_on", node=node.id)
