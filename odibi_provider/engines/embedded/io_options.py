"""Reader and writer options: which keys each format accepts, and how they become DuckDB arguments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...errors import ExecutionError

READ_OPTIONS: dict[str, frozenset[str]] = {
    "csv": frozenset({"header", "delimiter", "sep", "quote", "escape", "skip", "null_values", "nullstr", "dtype",
                      "types", "all_varchar", "ignore_errors", "columns", "encoding", "dateformat",
                      "timestampformat", "strict_mode"}),
    "json": frozenset({"lines", "columns", "ignore_errors", "dateformat", "timestampformat"}),
    "parquet": frozenset({"columns", "union_by_name", "hive_partitioning"}),
    "delta": frozenset({"version", "versionAsOf", "timestampAsOf", "columns"}),
    "excel": frozenset({"sheet_name", "header", "skip", "dtype", "columns"}),
    "sql": frozenset({"columns", "chunk_size"}),
}
_WRITE_COMMON = frozenset({"keys", "merge_keys"})
WRITE_OPTIONS: dict[str, frozenset[str]] = {
    "csv": _WRITE_COMMON | {"header", "delimiter", "sep", "quote", "escape", "nullstr"},
    "json": _WRITE_COMMON | {"lines"},
    "parquet": _WRITE_COMMON | {"compression", "row_group_size"},
    "excel": _WRITE_COMMON | {"sheet_name"},
    "delta": _WRITE_COMMON | {"schema_mode", "target_file_size", "description"},
    "sql": _WRITE_COMMON | {"chunk_size"},
}
FILE_FORMATS = ("csv", "json", "parquet", "excel")

# pandas-style dtype names -> DuckDB types (anything else is passed through as a DuckDB type)
_DTYPES = {"str": "VARCHAR", "string": "VARCHAR", "object": "VARCHAR", "int": "BIGINT", "int64": "BIGINT",
           "int32": "INTEGER", "int16": "SMALLINT", "float": "DOUBLE", "float64": "DOUBLE", "float32": "FLOAT",
           "bool": "BOOLEAN", "boolean": "BOOLEAN", "datetime64[ns]": "TIMESTAMP", "datetime": "TIMESTAMP",
           "date": "DATE"}


# read options meant for the host, not the reader (``watch: true`` makes the Dagster adapter add a file sensor)
HOST_OPTIONS = frozenset({"watch"})


def check_options(kind: str, fmt: str, options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Return ``options`` as a dict, or raise naming the unknown keys and the accepted ones."""
    table = READ_OPTIONS if kind == "read" else WRITE_OPTIONS
    if fmt not in table:
        raise ExecutionError(f"{where}: unknown {kind} format '{fmt}'; use one of {', '.join(sorted(table))}")
    accepted = table[fmt]
    options = {k: v for k, v in options.items() if k not in HOST_OPTIONS}
    unknown = sorted(set(options) - accepted)
    if unknown:
        from ..._suggest import did_you_mean

        hints = [h for h in (did_you_mean(u, accepted) for u in unknown) if h]
        raise ExecutionError(
            f"{where}: unknown {fmt} {kind} option(s) {', '.join(map(repr, unknown))}"
            f"{' (' + '; '.join(hints) + ')' if hints else ''}; accepted {fmt} {kind} options: "
            f"{', '.join(sorted(accepted))}")
    return dict(options)


def duckdb_type(name: str) -> str:
    """A DuckDB type for a pandas-style or DuckDB type name."""
    return _DTYPES.get(str(name).strip().lower(), str(name))


def sql_literal(value: Any) -> str:
    """``value`` as a DuckDB SQL literal (strings, numbers, booleans, lists, string-keyed dicts)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{sql_literal(str(k))}: {sql_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def arguments(named: Mapping[str, Any]) -> str:
    """``, key := literal`` for each named table-function argument that is not None."""
    return "".join(f", {key} := {sql_literal(value)}" for key, value in named.items() if value is not None)


def safe_id(write_id: str) -> str:
    """A file-name-safe form of ``write_id``; distinct ids stay distinct (a hash is added when changed)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", write_id).strip("._") or "write"
    if safe != write_id or len(safe) > 80:
        import hashlib

        safe = f"{safe[:80]}-{hashlib.sha1(write_id.encode()).hexdigest()[:10]}"
    return safe
