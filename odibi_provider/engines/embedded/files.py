"""Where a file dataset's data lives: one file, a directory of part files (hive folders too), or a glob."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from ...errors import ExecutionError
from ..atomic import data_files_under, readable

EXTENSIONS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz"),
    "json": (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz"),
    "parquet": (".parquet", ".parq", ".pq"),
    "excel": (".xlsx", ".xlsm"),
}
PART_EXTENSION = {"csv": "csv", "json": "json", "parquet": "parquet", "excel": "xlsx"}
_GLOB_CHARS = frozenset("*?[")


def is_glob(location: str) -> bool:
    return any(c in _GLOB_CHARS for c in location)


def input_files(location: str, fmt: str, where: str) -> list[str]:
    """The data files to read at ``location``; raises naming the place when there are none."""
    extensions = EXTENSIONS[fmt]
    if is_glob(location):
        files = sorted(p for p in glob.glob(location, recursive=True)
                       if os.path.isfile(p) and not os.path.basename(p).startswith((".", "_")))
    else:
        path = readable(Path(location))
        if path.is_file():
            return [str(path)]
        if not path.exists():
            raise ExecutionError(f"{where}: '{location}' does not exist; check the path and the connection's "
                                 "base_path, or run the node that writes it first")
        files = [str(p) for p in data_files_under(path) if p.name.lower().endswith(extensions)]
    if not files:
        raise ExecutionError(f"{where}: no {fmt} files ({', '.join(extensions)}) at '{location}'; "
                             "check the path and the format")
    return files


def dataset_exists(location: str) -> bool:
    """True when a file dataset has data at ``location`` (a finished or interrupted-swap copy)."""
    path = readable(Path(location))
    return path.is_file() or (path.is_dir() and bool(data_files_under(path)))
