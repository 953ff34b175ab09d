"""``write.mode`` merge / scd2 into a SQL table, applied by the database inside the write's transaction:
the node's rows go to a staging table and the statements of :mod:`..sql_targets` change the target set-based
(nothing is read back into Python). A missing target is created first (the node's columns plus the history
or audit columns), so a first load runs the same statements against an empty table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ...extras import require
from ..sql import scd
from ..sql_targets import ACTION, for_database


def apply_operation(sa: Any, conn: Any, table: Any, schema: str | None, name: str, mode: str,
                    params: Mapping[str, Any], *, chunk: int, where: str) -> int:
    """Apply ``table`` (Arrow) to the SQL table ``name`` with Odibi's ``mode`` params; returns the rows
    deleted, updated and inserted."""
    from .sql_writer import _create, staged

    source_cols = list(table.column_names)
    if not sa.inspect(conn).has_table(name, schema=schema):
        _create(sa, conn, _first_schema(table, mode, params), name, schema)
    target = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)
    columns = [c.name for c in target.c]
    db = for_database(conn.dialect.name)
    quoted = conn.dialect.identifier_preparer.format_table(target)
    if mode == "merge":  # the column checks every target shares, before any row is staged
        clauses = scd.merge_clauses(db.quote, params, source_cols=source_cols, target_cols=columns, where=where)
    else:
        scd.scd2_sql(db.quote, params, source="source", source_cols=source_cols, target=quoted,
                     target_cols=columns, where=where)
    with staged(sa, conn, table, target, chunk, extra=[sa.Column(ACTION, sa.String(1))]) as stage:
        stage_name = conn.dialect.identifier_preparer.format_table(stage)
        if mode == "merge":
            keys = list(params["keys"])
            statements = db.merge(quoted, stage_name, columns, keys, clauses, _unique(sa, conn, target, keys))
        else:
            spec = scd.Scd2.of(params)
            end = target.c[spec.end_time_col].type.compile(dialect=conn.dialect)
            from_date = getattr(stage.c[spec.effective_time_col].type, "python_type", None) is dt.date
            statements = db.scd2(quoted, stage_name, columns, spec, end, from_date)
        if statements.mark:
            _execute(sa, conn, statements.mark)
        return sum(max(_execute(sa, conn, s).rowcount or 0, 0) for s in statements.changes)


def _execute(sa: Any, conn: Any, statement: str) -> Any:
    """Run ``statement`` as written: a colon in a user's condition is not a bind parameter (``\\:``), and
    SQLAlchemy escapes ``%`` for drivers that read it."""
    return conn.execute(sa.text(statement.replace(":", "\\:")))


def _first_schema(table: Any, mode: str, params: Mapping[str, Any]) -> Any:
    """The Arrow schema of the table a first load creates: the node's columns plus scd2's end time and
    current flag, or merge's audit columns."""
    pa = require("pyarrow")
    fields = list(table.schema)
    for column in scd.target_columns(mode, params, table.column_names)[len(fields):]:
        flag = mode == "scd2" and column == scd.Scd2.of(params).current_flag_col
        fields.append(pa.field(column, pa.bool_() if flag else pa.timestamp("us")))
    return pa.schema(fields)


def _unique(sa: Any, conn: Any, target: Any, keys: list[str]) -> bool:
    """True when the merge keys are exactly the table's primary key or one of its unique keys."""
    inspector, wanted = sa.inspect(conn), set(keys)
    if set(inspector.get_pk_constraint(target.name, schema=target.schema).get("constrained_columns") or ()) == wanted:
        return True
    unique = [u["column_names"] for u in inspector.get_unique_constraints(target.name, schema=target.schema)]
    unique += [i["column_names"] for i in inspector.get_indexes(target.name, schema=target.schema) if i.get("unique")]
    return any(set(columns) == wanted for columns in unique)
