"""Reader and writer options on Spark: the embedded engine's names (so a project runs on either engine)
plus Spark's own option names, passed through. Unknown keys fail, listing the accepted ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._suggest import did_you_mean
from ...errors import ExecutionError

_COMMON_FILES = frozenset({"recursiveFileLookup", "pathGlobFilter", "modifiedBefore", "modifiedAfter"})
READ_OPTIONS: dict[str, frozenset[str]] = {
    "csv": _COMMON_FILES | {"header", "delimiter", "sep", "quote", "escape", "null_values", "nullstr", "dtype",
                            "types", "all_varchar", "ignore_errors", "columns", "encoding", "dateformat",
                            "timestampformat", "strict_mode", "inferSchema", "mode", "multiLine", "comment",
                            "dateFormat", "timestampFormat", "nullValue", "emptyValue", "ignoreLeadingWhiteSpace",
                            "ignoreTrailingWhiteSpace", "samplingRatio", "enforceSchema", "lineSep", "locale",
                            "columnNameOfCorruptRecord", "maxColumns", "allowTruncatedRows"},
    "json": _COMMON_FILES | {"lines", "columns", "ignore_errors", "dateformat", "timestampformat", "multiLine",
                             "primitivesAsString", "allowComments", "mode", "dateFormat", "timestampFormat",
                             "samplingRatio", "dropFieldIfAllNull", "encoding", "lineSep"},
    "parquet": _COMMON_FILES | {"columns", "union_by_name", "hive_partitioning", "mergeSchema",
                                "datetimeRebaseMode", "int96RebaseMode"},
    "delta": frozenset({"version", "versionAsOf", "timestampAsOf", "columns"}),
    "excel": frozenset({"sheet_name", "header", "skip", "dtype", "columns"}),
    "sql": frozenset({"columns", "chunk_size", "fetchsize", "partitionColumn", "lowerBound", "upperBound",
                      "numPartitions", "driver", "sessionInitStatement", "customSchema", "queryTimeout"}),
}
_WRITE_COMMON = frozenset({"keys", "merge_keys"})
WRITE_OPTIONS: dict[str, frozenset[str]] = {
    "csv": _WRITE_COMMON | {"header", "delimiter", "sep", "quote", "escape", "nullstr", "nullValue", "compression",
                            "dateFormat", "timestampFormat", "quoteAll", "encoding", "lineSep", "emptyValue"},
    "json": _WRITE_COMMON | {"lines", "compression", "dateFormat", "timestampFormat", "ignoreNullFields"},
    "parquet": _WRITE_COMMON | {"compression", "row_group_size", "maxRecordsPerFile"},
    "delta": _WRITE_COMMON | {"schema_mode", "target_file_size", "description", "mergeSchema", "overwriteSchema",
                              "maxRecordsPerFile"},
    "sql": _WRITE_COMMON | {"chunk_size", "batchsize", "isolationLevel", "driver", "createTableOptions",
                            "createTableColumnTypes", "numPartitions"},
}
# embedded-engine names -> Spark option names
_RENAMES = {"delimiter": "sep", "null_values": "nullValue", "nullstr": "nullValue", "dateformat": "dateFormat",
            "timestampformat": "timestampFormat", "chunk_size": "fetchsize"}
_DROPPED = frozenset({"columns", "dtype", "types", "all_varchar", "ignore_errors", "strict_mode", "lines",
                      "union_by_name", "hive_partitioning", "keys", "merge_keys", "row_group_size",
                      "schema_mode", "target_file_size", "description", "version", "versionAsOf",
                      "timestampAsOf"})


def check_options(kind: str, fmt: str, options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Return ``options`` as a dict, or raise naming the unknown keys and the accepted ones."""
    table = READ_OPTIONS if kind == "read" else WRITE_OPTIONS
    if fmt not in table:
        raise ExecutionError(f"{where}: the spark engine cannot {kind} format '{fmt}'; use one of "
                             f"{', '.join(sorted(table))}")
    accepted = table[fmt]
    unknown = sorted(set(options) - accepted)
    if unknown:
        hints = [h for h in (did_you_mean(u, accepted) for u in unknown) if h]
        raise ExecutionError(
            f"{where}: unknown {fmt} {kind} option(s) {', '.join(map(repr, unknown))}"
            f"{' (' + '; '.join(hints) + ')' if hints else ''}; accepted {fmt} {kind} options on spark: "
            f"{', '.join(sorted(accepted))}")
    return dict(options)


def spark_options(options: Mapping[str, Any]) -> dict[str, str]:
    """The options Spark's reader/writer takes: embedded names renamed, odibi-only keys dropped."""
    out: dict[str, str] = {}
    for key, value in options.items():
        if key in _DROPPED or value is None:
            continue
        out[_RENAMES.get(key, key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def csv_read_options(o: Mapping[str, Any]) -> dict[str, str]:
    """Spark csv options for embedded-style ones: header (default true), typed columns unless
    ``all_varchar``/``dtype: str``, and ``ignore_errors`` drops malformed rows (short ones included), as
    DuckDB does; otherwise Spark's PERMISSIVE mode pads short rows with nulls."""
    out = spark_options(o)
    header = o.get("header", True)
    out["header"] = "true" if (header if isinstance(header, bool) else header in (None, 0)) else "false"
    as_text = o.get("all_varchar") or str(o.get("dtype", "")).lower() in ("str", "string", "object")
    out.setdefault("inferSchema", "false" if as_text else "true")
    if o.get("ignore_errors"):
        out.setdefault("mode", "DROPMALFORMED")
    if out.get("mode", "PERMISSIVE").upper() == "PERMISSIVE":
        out.setdefault("allowTruncatedRows", "true")  # Sail's switch for Spark's PERMISSIVE short rows
    return out
