"""Write Arrow tables to SQL databases: one transaction per write, bookkept for idempotency.

Each write runs in one transaction that (re)creates the table from the Arrow schema when needed,
loads the rows (PostgreSQL: ``COPY ... FROM STDIN`` through psycopg; otherwise batched inserts)
and records ``(write_id, dataset, rows, written_at)`` in ``_odibi_writes`` next to the table. An
append whose write id is already recorded for that table is skipped. Upsert deletes the rows whose
keys match a new row and inserts the new rows; append_once inserts only rows with unseen keys (both
through a temporary staging table, null keys matching null keys). Merge and scd2 are applied by the database
from the same staging table (:mod:`.sql_merge`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ...errors import OdibiError
from ...extras import require
from ..base import WriteOutcome
from ..writes import bookkeeping, checked_table, key_matches, prepare_stage, record, seen
from .arrow_sql import split_table, sql_type


def write_sql(table: Any, name: str, connection: Any, mode: str, keys: Sequence[str], options: Mapping[str, Any],
              *, write_id: str, where: str, merge_schema: bool = False,
              operation: Mapping[str, Any] | None = None) -> WriteOutcome:
    """Write ``table`` to the SQL table ``name`` in ``mode`` within one transaction. With ``operation`` (modes
    scd2/merge: Odibi's params) the database applies the rows to the table (:mod:`.sql_merge`)."""
    sa = require("sqlalchemy", purpose="sql writes")
    schema, bare = split_table(name, connection.schema)
    dataset = f"{schema}.{bare}" if schema else bare
    details = {"format": "sql", "write_id": write_id, "table": dataset}
    chunk = int(options.get("chunk_size", 10_000))
    try:
        with connection.engine().begin() as conn:
            writes = bookkeeping(sa, conn, schema)
            if (mode == "append" or operation is not None) and seen(sa, conn, writes, write_id, dataset):
                return WriteOutcome(0, connection.location(dataset), mode, skipped=True, details=details)
            _statements(sa, conn, options.get("pre_sql"))  # node pre_sql: in this transaction, first
            if operation is not None:
                from .sql_merge import apply_operation

                rows = apply_operation(sa, conn, table, schema, bare, mode, operation, chunk=chunk, where=where)
            else:
                target = _prepare(sa, conn, table, schema, bare, mode, where, merge_schema)
                if mode in ("upsert", "append_once"):
                    rows = _merge(sa, conn, table, target, mode, keys, chunk)
                else:
                    rows = _insert(sa, conn, target, table, chunk)
            _statements(sa, conn, options.get("post_sql"))  # node post_sql: after the rows, before the commit
            record(sa, conn, writes, write_id, dataset, rows)
    except OdibiError:
        raise
    except Exception as exc:  # noqa: BLE001 (reported with context)
        raise connection.error(f"cannot write table '{dataset}' ({mode})", exc) from None
    return WriteOutcome(rows, connection.location(dataset), mode, details=details)


def _statements(sa: Any, conn: Any, statements: Sequence[str] | None) -> None:
    for statement in statements or ():
        conn.execute(sa.text(statement))


def _prepare(sa: Any, conn: Any, table: Any, schema: str | None, name: str, mode: str, where: str,
             merge_schema: bool) -> Any:
    """The target table: created from the Arrow schema if missing; emptied (or recreated) for overwrite;
    otherwise checked for schema drift (new columns added under ``merge_schema``)."""
    if not sa.inspect(conn).has_table(name, schema=schema):
        return _create(sa, conn, table.schema, name, schema)
    target = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)
    if mode == "overwrite":
        if _same_shape(target, table.schema):
            conn.execute(sa.delete(target))
            return target
        target.drop(conn)
        return _create(sa, conn, table.schema, name, schema)
    data = [(f.name, sql_type(f.type)) for f in table.schema]
    return checked_table(sa, conn, target, data, merge_schema=merge_schema, where=where,
                         dataset=f"{schema}.{name}" if schema else name, mode=mode)


def _create(sa: Any, conn: Any, arrow_schema: Any, name: str, schema: str | None, **kw: Any) -> Any:
    columns = [sa.Column(f.name, sql_type(f.type), nullable=True) for f in arrow_schema]
    created = sa.Table(name, sa.MetaData(), *columns, schema=schema, **kw)
    created.create(conn)
    return created


def _same_shape(target: Any, arrow_schema: Any) -> bool:
    if [c.name for c in target.c] != list(arrow_schema.names):
        return False
    try:
        return all(target.c[f.name].type.python_type is sql_type(f.type).python_type for f in arrow_schema)
    except NotImplementedError:
        return False


def _merge(sa: Any, conn: Any, table: Any, target: Any, mode: str, keys: Sequence[str], chunk: int) -> int:
    """Upsert or append_once through a temporary staging table; returns the rows written."""
    columns = list(table.column_names)
    with staged(sa, conn, table, target, chunk) as stage:
        prepare_stage(sa, conn, stage, keys)
        matches = key_matches(sa, target, stage, keys)
        source = sa.select(*[stage.c[c] for c in columns])
        if mode == "upsert":
            for match in matches:
                conn.execute(sa.delete(target).where(sa.exists(sa.select(sa.literal(1)).select_from(stage)
                                                               .where(match))))
            conn.execute(sa.insert(target).from_select(columns, source))
            return table.num_rows
        fresh = source.where(*[~sa.exists(sa.select(sa.literal(1)).select_from(target).where(match))
                               for match in matches])
        rows = conn.execute(sa.select(sa.func.count()).select_from(fresh.subquery())).scalar_one()
        conn.execute(sa.insert(target).from_select(columns, fresh))
        return int(rows)


@contextmanager
def staged(sa: Any, conn: Any, table: Any, target: Any, chunk: int, extra: Sequence[Any] = ()) -> Iterator[Any]:
    """A temporary table holding ``table``'s rows, typed like ``target``'s columns of the same name (the
    node's own type for a column the target lacks), plus the ``extra`` columns; dropped afterwards."""
    name = f"_odibi_stage_{uuid.uuid4().hex[:12]}"
    columns = [sa.Column(f.name, target.c[f.name].type if f.name in target.c else sql_type(f.type))
               for f in table.schema]
    if conn.dialect.name == "mssql":  # SQL Server: a '#' name is a temporary table
        stage = sa.Table(f"#{name}", sa.MetaData(), *columns, *extra)
    else:
        stage = sa.Table(name, sa.MetaData(), *columns, *extra, prefixes=["TEMPORARY"])
    stage.create(conn)
    try:
        _insert(sa, conn, stage, table, chunk)
        yield stage
    finally:
        stage.drop(conn)


def _insert(sa: Any, conn: Any, target: Any, table: Any, chunk: int) -> int:
    """Load every row of ``table`` into ``target``: COPY on psycopg, batched executemany otherwise."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg" and not _has_nested(table):
        return _copy(conn, target, table, chunk)
    statement = sa.insert(target)
    for batch in table.to_batches(max_chunksize=chunk):
        if batch.num_rows:
            conn.execute(statement, batch.to_pylist())
    return table.num_rows


def _copy(conn: Any, target: Any, table: Any, chunk: int) -> int:
    preparer = conn.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(c) for c in table.column_names)
    statement = f"COPY {preparer.format_table(target)} ({columns}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in table.to_batches(max_chunksize=chunk):
            for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                copy.write_row(row)
    return table.num_rows


def _has_nested(table: Any) -> bool:
    pa = require("pyarrow")
    return any(pa.types.is_nested(f.type) for f in table.schema)
