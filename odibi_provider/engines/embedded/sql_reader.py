"""Read a SQL table or query into Arrow through the connection's SQLAlchemy engine."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...errors import ExecutionError, OdibiError
from ...extras import require
from ...plan.model import ReadSpec
from .arrow_sql import arrow_from_rows, arrow_type, split_table


def read_sql(spec: ReadSpec, connection: Any, options: Mapping[str, Any], where: str) -> Any:
    """``spec.table`` (typed from the table's columns) or ``spec.query`` (typed from the values)."""
    if not hasattr(connection, "engine"):
        raise ExecutionError(f"{where}: format sql needs a connection of type sql "
                             f"(got {type(connection).__name__})")
    if not (spec.table or spec.query):
        raise ExecutionError(f"{where}: a sql read needs 'table' or 'query'")
    sa = require("sqlalchemy", purpose="sql reads")
    chunk = int(options.get("chunk_size", 50_000))
    try:
        with connection.engine().connect() as conn:
            if spec.query:
                result = conn.execute(sa.text(spec.query))
                names, types = list(result.keys()), [None] * len(result.keys())
            else:
                table = reflect(sa, conn, spec.table or "", connection.schema, where)
                columns = [table.c[c] for c in options["columns"]] if options.get("columns") else list(table.c)
                result = conn.execute(sa.select(*columns))
                names, types = [c.name for c in columns], [arrow_type(c.type) for c in columns]
            return arrow_from_rows(names, _rows(result, chunk), types)
    except OdibiError:
        raise
    except Exception as exc:  # noqa: BLE001 (reported with context)
        raise connection.error(f"cannot read {spec.table or 'the query'}", exc) from None


def reflect(sa: Any, conn: Any, name: str, default_schema: str | None, where: str) -> Any:
    """The reflected ``sqlalchemy.Table`` for ``name``; a missing table names the schema searched."""
    schema, table = split_table(name, default_schema)
    if not sa.inspect(conn).has_table(table, schema=schema):
        raise ExecutionError(f"{where}: table '{name}' does not exist"
                             f"{f' in schema {schema!r}' if schema else ''}; check the name or write it first")
    return sa.Table(table, sa.MetaData(), schema=schema, autoload_with=conn)


def _rows(result: Any, chunk: int) -> Iterator[Any]:
    for part in result.partitions(chunk):
        yield from part
