"""Write rules every engine shares (standard library only): modes, key and partition checks, part-file
ids, and the ``_odibi_writes`` bookkeeping table that makes SQL appends idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ExecutionError
from ..plan.model import WriteSpec

MODES = ("overwrite", "append", "upsert", "append_once", "merge", "scd2")
KEYED_MODES = ("upsert", "append_once", "merge", "scd2")
PARTITIONED_FORMATS = ("csv", "json", "parquet", "delta")
BOOKKEEPING_TABLE = "_odibi_writes"


def write_keys(spec: WriteSpec, options: Mapping[str, Any]) -> tuple[str, ...]:
    """The merge key columns: ``merge_keys`` on the write, else ``options.merge_keys`` / ``options.keys``."""
    keys = spec.keys or options.get("merge_keys") or options.get("keys") or ()
    return (keys,) if isinstance(keys, str) else tuple(keys)


def check_write(columns: Sequence[str], spec: WriteSpec, keys: Sequence[str], where: str) -> None:
    """Raise unless ``spec``'s mode, keys and partition columns fit data with ``columns``."""
    if spec.mode not in MODES:
        raise ExecutionError(f"{where}: unknown write mode '{spec.mode}'; use one of {', '.join(MODES)}")
    if spec.mode in KEYED_MODES and not keys:
        raise ExecutionError(f"{where}: mode '{spec.mode}' needs key columns; set 'merge_keys' or 'options.keys'")
    if spec.partition_by and spec.format not in PARTITIONED_FORMATS:
        raise ExecutionError(f"{where}: partition_by is not supported for {spec.format}; "
                             f"use one of {', '.join(PARTITIONED_FORMATS)} or drop partition_by")
    merge_keys = keys if spec.mode in KEYED_MODES else ()
    for label, wanted in (("key", merge_keys), ("partition_by", spec.partition_by)):
        if missing := [c for c in wanted if c not in columns]:
            raise ExecutionError(f"{where}: {label} column(s) {missing} are not in the data "
                                 f"(columns: {', '.join(columns)})")


def safe_id(write_id: str) -> str:
    """A file-name-safe form of ``write_id``; distinct ids stay distinct (a hash is added when changed)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", write_id).strip("._") or "write"
    if safe != write_id or len(safe) > 80:
        safe = f"{safe[:80]}-{hashlib.sha1(write_id.encode()).hexdigest()[:10]}"
    return safe


def written_by(target: Any, write_id: str) -> bool:
    """True when every part file of the dataset folder ``target`` (a Path) was written by ``write_id``."""
    sid = safe_id(write_id)
    files = list(target.rglob("part-*")) if target.is_dir() else []
    return bool(files) and all(p.name.startswith((f"part-{sid}.", f"part-{sid}_", f"part-{sid}-")) for p in files)


def bookkeeping(sa: Any, conn: Any, schema: str | None) -> Any:
    """The ``_odibi_writes`` table next to the written one (created when missing); ``sa`` is SQLAlchemy."""
    writes = sa.Table(BOOKKEEPING_TABLE, sa.MetaData(),
                      sa.Column("write_id", sa.String(255), primary_key=True),
                      sa.Column("dataset", sa.String(255), primary_key=True),
                      sa.Column("rows", sa.BigInteger), sa.Column("written_at", sa.DateTime(timezone=True)),
                      schema=schema)
    writes.create(conn, checkfirst=True)
    return writes


def seen(sa: Any, conn: Any, writes: Any, write_id: str, dataset: str) -> bool:
    """True when ``write_id`` already wrote ``dataset``."""
    query = sa.select(writes.c.rows).where(writes.c.write_id == write_id, writes.c.dataset == dataset)
    return conn.execute(query).first() is not None


def record(sa: Any, conn: Any, writes: Any, write_id: str, dataset: str, rows: int) -> None:
    """Record that ``write_id`` wrote ``rows`` rows to ``dataset`` (in the write's transaction)."""
    conn.execute(sa.delete(writes).where(writes.c.write_id == write_id, writes.c.dataset == dataset))
    conn.execute(sa.insert(writes).values(write_id=write_id, dataset=dataset, rows=rows,
                                          written_at=dt.datetime.now(dt.UTC)))


def checked_table(sa: Any, conn: Any, target: Any, data: Sequence[tuple[str, Any]], *, merge_schema: bool,
                  where: str, dataset: str, mode: str) -> Any:
    """``target`` (a reflected table) once the data's columns (``[(name, SQLAlchemy type)]``) passed the
    schema-drift check (:mod:`.schema_drift`); under ``merge_schema`` new columns are added first."""
    from .schema_drift import check

    dialect = conn.dialect
    existing = [(c.name, c.type.compile(dialect=dialect)) for c in target.c]
    drift = check(existing, [(name, kind.compile(dialect=dialect)) for name, kind in data],
                  merge_schema=merge_schema, where=where, target=dataset, mode=mode)
    if not drift.new:
        return target
    preparer, types = dialect.identifier_preparer, dict(data)
    for name, _ in drift.new:
        conn.execute(sa.text(f"ALTER TABLE {preparer.format_table(target)} ADD COLUMN {preparer.quote(name)} "
                             f"{types[name].compile(dialect=dialect)}"))
    return sa.Table(target.name, sa.MetaData(), schema=target.schema, autoload_with=conn)


def key_matches(sa: Any, target: Any, source: Any, keys: Sequence[str]) -> list[Any]:
    """Conditions that together match rows of ``target`` and ``source`` with equal keys, null keys matching
    null keys: plain equality for rows whose keys are all set (a hash join or an index serves it), and the
    null-safe comparison only between rows that both have a null key (usually none). ``IS NOT DISTINCT
    FROM`` on every row made PostgreSQL compare every pair of rows (100k into 5k rows: 37 s)."""
    equal = sa.and_(*[target.c[k] == source.c[k] for k in keys])
    null_safe = sa.and_(sa.or_(*[target.c[k].is_(None) for k in keys]), sa.or_(*[source.c[k].is_(None) for k in keys]),
                        *[target.c[k].is_not_distinct_from(source.c[k]) for k in keys])
    return [equal, null_safe]


def prepare_stage(sa: Any, conn: Any, stage: Any, keys: Sequence[str]) -> None:
    """Index a loaded staging table on ``keys`` and give the planner its statistics (PostgreSQL does not
    analyse temporary tables by itself)."""
    sa.Index(f"{stage.name}_keys", *[stage.c[k] for k in keys]).create(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ANALYZE {conn.dialect.identifier_preparer.format_table(stage)}"))
