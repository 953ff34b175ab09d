"""SQL tables through Spark's JDBC source, with the ``sql`` connection's URL turned into a JDBC URL.

Reads are a ``format("jdbc")`` scan of ``table`` or ``query``. A write is atomic and idempotent: Spark
loads the rows in parallel into a staging table next to the target, then one database transaction on
the driver (SQLAlchemy, through the same connection) moves them into the target for the mode, records
``(write_id, dataset, rows)`` in ``_odibi_writes`` (the embedded engine's bookkeeping table) and a
retried append whose write id is recorded is skipped. The staging table is dropped afterwards.

The JDBC driver jar must be on the session's classpath (``spark.jars`` or the cluster's libraries).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from ...errors import ExecutionError, OdibiError
from ...extras import require
from ...plan.model import ReadSpec
from ..base import WriteOutcome
from ..writes import bookkeeping, checked_table, key_matches, prepare_stage, record, seen
from .options import spark_options
from .session import first_line

_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
DRIVERS = {"sqlite": "org.sqlite.JDBC", "postgresql": "org.postgresql.Driver", "mysql": "com.mysql.cj.jdbc.Driver",
           "mariadb": "org.mariadb.jdbc.Driver", "sqlserver": "com.microsoft.sqlserver.jdbc.SQLServerDriver",
           "oracle": "oracle.jdbc.OracleDriver"}


def jdbc_options(url: str) -> dict[str, str]:
    """``{"url": "jdbc:...", "user": ..., "password": ...}`` for a SQLAlchemy URL (credentials resolved)."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        path = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""
        if not path or path == ":memory:":
            raise ExecutionError("a sqlite connection used by the spark engine needs a database file")
        return {"url": f"jdbc:sqlite:{path}", "driver": DRIVERS["sqlite"]}
    parts = urlsplit(url)
    host, port, database = parts.hostname or "localhost", parts.port or _PORTS.get(scheme), parts.path.lstrip("/")
    address = f"{host}:{port}" if port else host
    if scheme in ("postgresql", "postgres"):
        jdbc = f"jdbc:postgresql://{address}/{database}" + (f"?{parts.query}" if parts.query else "")
    elif scheme in ("mysql", "mariadb"):
        jdbc = f"jdbc:{scheme}://{address}/{database}" + (f"?{parts.query}" if parts.query else "")
    elif scheme == "mssql":
        jdbc = f"jdbc:sqlserver://{address};databaseName={database}"
    elif scheme == "oracle":
        jdbc = f"jdbc:oracle:thin:@//{address}/{database}"
    else:
        raise ExecutionError(f"the spark engine has no JDBC mapping for '{scheme}' URLs; use postgresql, mysql, "
                             "mariadb, mssql, oracle or sqlite")
    out = {"url": jdbc, "driver": DRIVERS[jdbc.split(":")[1]]}
    if parts.username:
        out["user"] = unquote(parts.username)
    if parts.password is not None:
        out["password"] = unquote(parts.password)
    return out


def _qualified(table: str, schema: str | None) -> tuple[str | None, str, str]:
    """(schema, table, "schema.table") for a table name that may carry its schema."""
    prefix, _, name = table.strip().rpartition(".")
    owner = prefix.strip('"') or schema
    name = name.strip('"')
    return owner, name, f"{owner}.{name}" if owner else name


def read_jdbc(session: Any, spec: ReadSpec, connection: Any, options: Mapping[str, Any], where: str) -> Any:
    """``spec.table`` or ``spec.query`` of a sql connection as a DataFrame."""
    if not hasattr(connection, "url"):
        raise ExecutionError(f"{where}: format sql needs a connection of type sql (got {type(connection).__name__})")
    if not (spec.table or spec.query):
        raise ExecutionError(f"{where}: a sql read needs 'table' or 'query'")
    reader = session.read.format("jdbc").options(**jdbc_options(connection.url()))
    extra = spark_options(options)
    reader = reader.options(**extra)
    if spec.query:
        reader = reader.option("query", spec.query)
    else:
        reader = reader.option("dbtable", _qualified(spec.table or "", connection.schema)[2])
    try:
        frame = reader.load()
        frame.schema  # noqa: B018 - connect and analyse now
    except Exception as exc:  # noqa: BLE001 - reported with the connection, secrets scrubbed
        raise connection.error(f"cannot read {spec.table or 'the query'} through JDBC", JdbcError(exc)) from None
    return frame.select(*options["columns"]) if options.get("columns") else frame


def write_jdbc(frame: Any, table: str, connection: Any, mode: str, keys: Sequence[str], options: Mapping[str, Any],
               *, write_id: str, where: str, merge_schema: bool = False) -> WriteOutcome:
    """Write ``frame`` to the SQL table ``table`` in ``mode``: Spark loads a staging table, one transaction
    moves the rows."""
    sa = require("sqlalchemy", purpose="sql writes on the spark engine")
    schema, bare, dataset = _qualified(table, connection.schema)
    details = {"format": "sql", "write_id": write_id, "table": dataset}
    engine = connection.engine()
    try:
        with engine.begin() as conn:
            if mode == "append" and seen(sa, conn, bookkeeping(sa, conn, schema), write_id, dataset):
                return WriteOutcome(0, connection.location(dataset), mode, skipped=True, details=details)
        stage = f"_odibi_stage_{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            sa.Table(stage, sa.MetaData(), *_columns(sa, frame.schema), schema=schema).create(conn)
        try:
            _load_stage(frame, connection, f"{schema}.{stage}" if schema else stage, options)
            with engine.begin() as conn:
                moved = _move(sa, conn, schema, stage, bare, mode, keys, write_id, dataset,
                              where=where, merge_schema=merge_schema)
        finally:
            with engine.begin() as conn:
                sa.Table(stage, sa.MetaData(), schema=schema).drop(conn, checkfirst=True)
    except OdibiError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported with the connection, secrets scrubbed
        raise connection.error(f"cannot write table '{dataset}' ({mode})", JdbcError(exc)) from None
    if moved is None:
        return WriteOutcome(0, connection.location(dataset), mode, skipped=True, details=details)
    return WriteOutcome(moved[0], connection.location(dataset), mode, frame_rows=moved[1], details=details)


def _load_stage(frame: Any, connection: Any, stage: str, options: Mapping[str, Any]) -> None:
    extra = spark_options(options, "write")
    (frame.write.format("jdbc").options(**jdbc_options(connection.url())).options(**extra)
     .option("dbtable", stage).mode("append").save())


def _columns(sa: Any, schema: Any) -> list[Any]:
    """SQLAlchemy columns for a Spark schema (the staging table is created by the driver, not Spark)."""
    columns = []
    for field in schema.fields:
        kind = field.dataType.simpleString()
        base = kind.split("(", 1)[0]
        if base == "decimal":
            precision, scale = (int(x) for x in kind[8:-1].split(","))
            sql_type = sa.Numeric(precision, scale)
        elif base in _SQL_TYPES:
            sql_type = _SQL_TYPES[base](sa)
        else:
            raise ExecutionError(f"column '{field.name}' has type {kind}, which a SQL table cannot hold; "
                                 "cast it (e.g. to_json) before writing")
        columns.append(sa.Column(field.name, sql_type, nullable=True))
    return columns


_SQL_TYPES = {
    "boolean": lambda sa: sa.Boolean(), "tinyint": lambda sa: sa.SmallInteger(),
    "smallint": lambda sa: sa.SmallInteger(), "int": lambda sa: sa.Integer(), "bigint": lambda sa: sa.BigInteger(),
    "float": lambda sa: sa.Float(), "double": lambda sa: sa.Double(), "string": lambda sa: sa.Text(),
    "varchar": lambda sa: sa.Text(), "char": lambda sa: sa.Text(), "date": lambda sa: sa.Date(),
    "timestamp": lambda sa: sa.DateTime(timezone=True), "timestamp_ntz": lambda sa: sa.DateTime(),
    "binary": lambda sa: sa.LargeBinary(),
}


def _move(sa: Any, conn: Any, schema: str | None, stage_name: str, name: str, mode: str, keys: Sequence[str],
          write_id: str, dataset: str, *, where: str, merge_schema: bool) -> tuple[int, int] | None:
    """Inside one transaction: rows from the stage into the target; returns (rows written, rows staged),
    or None when this append was done before."""
    writes = bookkeeping(sa, conn, schema)
    if mode == "append" and seen(sa, conn, writes, write_id, dataset):
        return None
    stage = sa.Table(stage_name, sa.MetaData(), schema=schema, autoload_with=conn)
    columns = [c.name for c in stage.c]
    rows = staged = int(conn.execute(sa.select(sa.func.count()).select_from(stage)).scalar_one())
    if not sa.inspect(conn).has_table(name, schema=schema):
        _create_like(sa, conn, stage, name, schema)
    target = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)
    if mode == "overwrite" and [c for c in columns if c not in target.c]:
        target.drop(conn)
        target = _create_like(sa, conn, stage, name, schema)
    elif mode != "overwrite":
        target = checked_table(sa, conn, target, [(c.name, c.type) for c in stage.c], merge_schema=merge_schema,
                               where=where, dataset=dataset, mode=mode)
    source = sa.select(*[stage.c[c] for c in columns])
    matches = key_matches(sa, target, stage, keys) if mode in ("upsert", "append_once") else []
    if matches:
        prepare_stage(sa, conn, stage, keys)
    if mode == "overwrite":
        conn.execute(sa.delete(target))
    elif mode == "upsert":
        for match in matches:
            conn.execute(sa.delete(target).where(sa.exists(sa.select(sa.literal(1)).select_from(stage)
                                                           .where(match))))
    elif mode == "append_once":
        source = source.where(*[~sa.exists(sa.select(sa.literal(1)).select_from(target).where(match))
                                for match in matches])
        rows = int(conn.execute(sa.select(sa.func.count()).select_from(source.subquery())).scalar_one())
    conn.execute(sa.insert(target).from_select(columns, source))
    record(sa, conn, writes, write_id, dataset, rows)
    return rows, staged


def _create_like(sa: Any, conn: Any, stage: Any, name: str, schema: str | None) -> Any:
    created = sa.Table(name, sa.MetaData(), *[sa.Column(c.name, c.type, nullable=True) for c in stage.c],
                       schema=schema)
    created.create(conn)
    return created


class JdbcError(Exception):
    """An exception shown by its first line only (JDBC errors carry long JVM traces)."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(first_line(exc))
