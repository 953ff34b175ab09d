"""Write csv / json-lines / parquet datasets on Spark, atomically and idempotently (local paths).

A dataset at ``T`` is a directory of part files ``part-<write id>_<n>.<ext>`` (hive folders with
``partition_by``); the embedded engine reads it, and Spark reads the embedded engine's one-file and
part-file layouts. Every write goes to a stage next to ``T`` and is swapped in (:mod:`.localfs`):

* overwrite: the stage holds the new data only;
* append: the stage also hard-links the existing files, except parts of the same write id, so a retried
  append replaces its own parts instead of adding rows again;
* upsert / append_once: the existing rows are combined with the new ones by key (null keys match
  null keys) and the result replaces the dataset.

Every write holds the dataset's lock (``.T.lock`` next to ``T``, :mod:`odibi_provider.engines.locks`), the
same lock the embedded engine takes, so writers of either engine serialise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import ExecutionError
from ..base import WriteOutcome
from ..sql.dialect import SPARK
from ..writes import safe_id
from .localfs import commit, data_files_under, exclusive, is_local, link_tree, local_path, name_parts, staged
from .options import spark_options
from .relations import run_sql

BASE_PART = "part-00000-base"
_CSV_KEYS = ("header", "sep", "delimiter", "quote", "escape", "nullstr", "nullValue")


def write_files(frame: Any, location: str, fmt: str, mode: str, keys: Sequence[str], options: Mapping[str, Any],
                partition_by: Sequence[str], *, write_id: str, where: str) -> WriteOutcome:
    """Write ``frame`` to the file dataset at ``location`` in ``mode``."""
    if not is_local(location):
        raise ExecutionError(f"{where}: {fmt} files on '{location}' cannot be replaced atomically by the spark "
                             "engine; write format: delta there (one transaction per write)")
    target = local_path(location)
    with exclusive(target, write_id=write_id):
        return _write_locked(frame, target, fmt, mode, keys, options, partition_by, write_id, where)


def _write_locked(frame: Any, target: Path, fmt: str, mode: str, keys: Sequence[str], options: Mapping[str, Any],
                  partition_by: Sequence[str], write_id: str, where: str) -> WriteOutcome:
    sid = safe_id(write_id)
    session = frame.sparkSession
    rows, frame_rows, rewritten = None, None, 0
    if mode in ("upsert", "append_once") and _exists(target):
        frame, rows, frame_rows = _combine(frame, read_existing(session, target, fmt, options, where), keys, mode)
    elif mode == "append" and target.is_file() and partition_by:  # one file becomes hive folders
        old = read_existing(session, target, fmt, options, where)
        rewritten = int(old.count())
        frame = old.unionByName(frame, allowMissingColumns=True)
    with staged(target) as stage:
        _spark_write(frame, stage, fmt, options, partition_by)
        name_parts(stage, sid)
        written = count_rows(session, stage, fmt, options)
        if mode == "append" and target.exists() and not (target.is_file() and partition_by):
            _keep_existing(target, stage, fmt, sid)
        commit(stage, target)
    if rows is None:
        rows = frame_rows = written - rewritten
    return WriteOutcome(rows_written=rows, location=str(target), mode=mode, frame_rows=frame_rows,
                        details={"format": fmt, "write_id": write_id, "layout": "parts"})


def _spark_write(frame: Any, stage: Path, fmt: str, options: Mapping[str, Any], partition_by: Sequence[str]) -> None:
    writer = frame.write.mode("overwrite").format(fmt).options(**_write_options(fmt, options))
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(str(stage))
    if not stage.is_dir() or not data_files_under(stage):  # no rows: Sail writes nothing at all
        _write_empty(frame, stage, fmt, options, partition_by)


def _write_empty(frame: Any, stage: Path, fmt: str, options: Mapping[str, Any], partition_by: Sequence[str]) -> None:
    """The empty dataset classic Spark writes for a frame without rows: a Parquet file with the schema, a csv
    holding only its header, an empty json-lines file (json carries no columns without rows). Partitioned: an
    empty folder (there is no partition to put a file in)."""
    stage.mkdir(parents=True, exist_ok=True)
    if partition_by:
        return
    part, spark = stage / f"part-00000.{fmt}", _write_options(fmt, options)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(frame.limit(0).toArrow(), part)
    elif fmt == "csv" and str(spark.get("header")).lower() == "true":
        import csv

        with part.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out, delimiter=spark.get("sep", spark.get("delimiter", ",")), quotechar=spark.get("quote", '"'),
                       lineterminator="\n").writerow(frame.columns)
    else:
        part.touch()


def _write_options(fmt: str, options: Mapping[str, Any]) -> dict[str, str]:
    out = spark_options(options, "write")
    if fmt == "csv":
        out.setdefault("header", "true")
    return out


def _read_options(fmt: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Reader options matching how the writer encoded the data (csv keeps its strings as written)."""
    return {k: options[k] for k in _CSV_KEYS if k in options} if fmt == "csv" else {}


def read_existing(session: Any, target: Path, fmt: str, options: Mapping[str, Any], where: str) -> Any:
    from .io import read_location

    return read_location(session, str(target), fmt, _read_options(fmt, options), where)


def count_rows(session: Any, path: Path, fmt: str, options: Mapping[str, Any]) -> int:
    """Rows in the files just written at ``path`` (Parquet answers from its footers). The files are named
    one by one: Spark ignores a directory whose name starts with a dot, as a stage's does."""
    files = [str(f) for f in data_files_under(path)]
    if not files:
        return 0
    reader = session.read.format(fmt)
    if fmt == "csv":
        reader = reader.options(**{k: v for k, v in _write_options(fmt, options).items()
                                   if k in ("header", "sep", "quote", "escape", "nullValue")})
    return int(reader.load(files).count())


def _combine(new: Any, existing: Any, keys: Sequence[str], mode: str) -> tuple[Any, int, int | None]:
    """Upsert (new rows replace rows with equal keys) or append_once (only rows with unseen keys);
    returns (all rows, rows written, rows of ``new`` when counted)."""
    missing = [k for k in keys if k not in existing.columns]
    if missing:
        raise ExecutionError(f"key column(s) {missing} are not in the existing data; fix the keys or overwrite "
                             "the dataset once")
    match = " AND ".join(f"a.{SPARK.ident(k)} <=> b.{SPARK.ident(k)}" for k in keys)
    session = new.sparkSession
    if mode == "upsert":
        kept = run_sql(session, f"SELECT a.* FROM a LEFT ANTI JOIN b ON {match}", {"a": existing, "b": new})
        rows = int(new.count())
        return kept.unionByName(new, allowMissingColumns=True), rows, rows
    fresh = run_sql(session, f"SELECT a.* FROM a LEFT ANTI JOIN b ON {match}", {"a": new, "b": existing})
    return existing.unionByName(fresh, allowMissingColumns=True), int(fresh.count()), None


def _keep_existing(target: Path, stage: Path, fmt: str, sid: str) -> None:
    """Link the dataset's files into the stage, except earlier parts of this write id."""
    if target.is_dir():
        link_tree(target, stage, skip=lambda p: p.name.startswith((f"part-{sid}_", f"part-{sid}.")))
    elif target.is_file():
        os.link(target, stage / f"{BASE_PART}{''.join(target.suffixes) or '.' + fmt}")


def _exists(target: Path) -> bool:
    return target.is_file() or (target.is_dir() and bool(data_files_under(target)))
