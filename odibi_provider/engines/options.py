"""Reader and writer options: one table of portable names, plus each engine's own, declared in one place.

A portable option means the same on every engine that accepts it. An engine may add native names (Spark's
camelCase reader/writer options, passed through as written), give a portable name its own spelling, or
decline a portable name it cannot honour (or honour only with one value): declining is an error naming
the reason, never a key accepted and ignored. Unknown keys fail, listing the accepted ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._suggest import did_you_mean
from ..errors import ExecutionError

Key = tuple[str, str]  # (read | write, format)
_WRITE_COMMON = frozenset({"keys", "merge_keys"})
# format: api, applied by odibi on every engine (the nested blocks are checked by connections/api_options.py)
API_OPTIONS = frozenset({"method", "params", "request_body", "json_body", "headers", "max_records", "pagination",
                         "response", "retry", "rate_limit", "http", "incremental_param"})
PORTABLE: dict[Key, frozenset[str]] = {
    ("read", "csv"): frozenset({"header", "delimiter", "sep", "quote", "escape", "skip", "null_values", "nullstr",
                                "dtype", "types", "all_varchar", "ignore_errors", "columns", "encoding",
                                "dateformat", "timestampformat", "strict_mode"}),
    ("read", "json"): frozenset({"lines", "columns", "ignore_errors", "dateformat", "timestampformat"}),
    ("read", "parquet"): frozenset({"columns", "union_by_name", "hive_partitioning"}),
    ("read", "delta"): frozenset({"version", "versionAsOf", "timestampAsOf", "columns"}),
    ("read", "excel"): frozenset({"sheet_name", "header", "skip", "dtype", "columns"}),
    ("read", "sql"): frozenset({"columns", "chunk_size"}),
    ("read", "api"): API_OPTIONS,
    ("write", "csv"): _WRITE_COMMON | {"header", "delimiter", "sep", "quote", "escape", "nullstr"},
    ("write", "json"): _WRITE_COMMON | {"lines"},
    ("write", "parquet"): _WRITE_COMMON | {"compression", "row_group_size"},
    ("write", "excel"): _WRITE_COMMON | {"sheet_name"},
    ("write", "delta"): _WRITE_COMMON | {"schema_mode", "target_file_size", "description", "zorder_by",
                                         "table_properties"},  # the last two: write.zorder_by/table_properties
    ("write", "sql"): _WRITE_COMMON | {"chunk_size", "pre_sql", "post_sql"},  # the last two: node pre/post_sql
}
FILE_FORMATS = ("csv", "json", "parquet", "excel")
# read options meant for the host, not the reader (``watch: true`` makes the Dagster adapter add a file sensor)
HOST_OPTIONS = frozenset({"watch"})
_READ_KEY = "is a key of read:, not a reader option; move it up one level (read.{key})"
# keys written under options that belong elsewhere, or that name a feature with another spelling here
MISPLACED: dict[str, str] = {
    **{key: _READ_KEY.format(key=key) for key in ("incremental", "path", "table", "query", "archive_options",
                                                   "streaming")},
    **{key: f"is a key of read.incremental:, not a reader option (read.incremental.{key})"
       for key in ("column", "lookback", "unit", "watermark_lag", "fallback_column", "state_key")},
    "mode": "is not a read option: the write mode goes under write.mode, the incremental mode under "
            "read.incremental.mode",
    "badRecordsPath": "is Databricks' bad-record archive; set ignore_errors: true and a validation.quarantine "
                      "target to keep the rejected rows",
}


class OptionError(ExecutionError):
    """An option an engine does not take; ``key`` names it (validate reports it at that key's line)."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class EngineOptions:
    """One engine's options: the portable ones it honours and its own."""

    engine: str
    scope: str  # appended to "accepted ... options" in errors ("" for the reference engine)
    formats: Mapping[str, tuple[str, ...]]  # read | write -> formats
    native: Mapping[Key, frozenset[str]]  # the engine's own names, passed through as written
    renamed: Mapping[tuple[str, str], str]  # (read | write, portable name) -> the engine's name for it
    declined: Mapping[Key, Mapping[str, str]]  # portable names the engine cannot honour -> why
    only: Mapping[tuple[str, str, str], tuple[Any, str]]  # (kind, format, name) -> (the one value honoured, why)
    handled: frozenset[str]  # portable names odibi's code applies itself (not handed to the engine's own I/O)

    def accepted(self, kind: str, fmt: str) -> frozenset[str]:
        declined = self.declined.get((kind, fmt), {})
        return (PORTABLE[(kind, fmt)] - set(declined)) | self.native.get((kind, fmt), frozenset())

    def check(self, kind: str, fmt: str, options: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``options`` as a dict without host options, or raise naming the bad keys and the accepted ones."""
        self._check_format(kind, fmt, where)
        options = {k: v for k, v in options.items() if k not in HOST_OPTIONS}
        for key in options:
            if reason := self.declined.get((kind, fmt), {}).get(key):
                raise OptionError(f"{where}: the {self.engine} engine cannot honour {fmt} {kind} option "
                                  f"'{key}' ({reason}); drop it", key=key)
            value, reason = self.only.get((kind, fmt, key), (options[key], ""))
            if options[key] != value:
                raise OptionError(f"{where}: the {self.engine} engine cannot honour {key}: {options[key]!r} "
                                  f"({reason}); drop it or set {key}: {str(value).lower()}", key=key)
        accepted = self.accepted(kind, fmt)
        if unknown := sorted(set(options) - accepted):
            if misplaced := [u for u in unknown if u in MISPLACED]:
                raise OptionError(f"{where}: " + "; ".join(f"'{u}' {MISPLACED[u]}" for u in misplaced),
                                  key=misplaced[0])
            hints = [h for h in (did_you_mean(u, accepted) for u in unknown) if h]
            raise OptionError(
                f"{where}: unknown {fmt} {kind} option(s) {', '.join(map(repr, unknown))}"
                f"{' (' + '; '.join(hints) + ')' if hints else ''}; accepted {fmt} {kind} options{self.scope}: "
                f"{', '.join(sorted(accepted))}", key=unknown[0])
        if fmt == "api":
            from ..connections.api_options import parse_api_options

            parse_api_options(options, where)
        return options

    def _check_format(self, kind: str, fmt: str, where: str) -> None:
        formats = self.formats[kind]
        if fmt in formats:
            return
        known = (kind, fmt) in PORTABLE
        what = f"the {self.engine} engine cannot {kind} format '{fmt}'" if known else f"unknown {kind} format '{fmt}'"
        raise ExecutionError(f"{where}: {what}; use one of {', '.join(sorted(formats))}")

    def translate(self, kind: str, options: Mapping[str, Any]) -> dict[str, str]:
        """The options the engine's own reader/writer takes, as text: portable names in the engine's
        spelling; :attr:`handled` names and None values left out."""
        return {self.renamed.get((kind, k), k): str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in options.items() if k not in self.handled and v is not None}


_ALL = tuple(sorted({fmt for kind, fmt in PORTABLE if kind == "write"}))
_READS = tuple(sorted({fmt for kind, fmt in PORTABLE if kind == "read"}))
# DuckDB's own csv reader options that its error messages suggest ("e.g., max_line_size=3000005")
DUCKDB_CSV = ("max_line_size", "sample_size", "null_padding")
EMBEDDED = EngineOptions("pandas", "", {"read": _READS, "write": _ALL}, {("read", "csv"): frozenset(DUCKDB_CSV)},
                         {}, {}, {}, frozenset().union(*PORTABLE.values()))

_SPARK_FILES = frozenset({"recursiveFileLookup", "pathGlobFilter", "modifiedBefore", "modifiedAfter"})
SPARK = EngineOptions(
    engine="spark", scope=" on spark",
    formats={"read": _READS, "write": ("csv", "delta", "json", "parquet", "sql")},
    native={
        ("read", "csv"): _SPARK_FILES | {"inferSchema", "mode", "multiLine", "comment", "dateFormat", "timestampFormat",
                                         "nullValue", "emptyValue", "ignoreLeadingWhiteSpace",
                                         "ignoreTrailingWhiteSpace", "samplingRatio", "enforceSchema", "lineSep",
                                         "locale", "columnNameOfCorruptRecord", "maxColumns", "allowTruncatedRows"},
        ("read", "json"): _SPARK_FILES | {"multiLine", "primitivesAsString", "allowComments", "mode", "dateFormat",
                                          "timestampFormat", "samplingRatio", "dropFieldIfAllNull", "encoding",
                                          "lineSep"},
        ("read", "parquet"): _SPARK_FILES | {"mergeSchema", "datetimeRebaseMode", "int96RebaseMode"},
        ("read", "sql"): frozenset({"fetchsize", "partitionColumn", "lowerBound", "upperBound", "numPartitions",
                                    "driver", "sessionInitStatement", "customSchema", "queryTimeout"}),
        ("write", "csv"): frozenset({"nullValue", "compression", "dateFormat", "timestampFormat", "quoteAll",
                                     "encoding", "lineSep", "emptyValue"}),
        ("write", "json"): frozenset({"compression", "dateFormat", "timestampFormat", "ignoreNullFields"}),
        ("write", "parquet"): frozenset({"maxRecordsPerFile"}),
        ("write", "delta"): frozenset({"mergeSchema", "overwriteSchema", "maxRecordsPerFile"}),
        ("write", "sql"): frozenset({"batchsize", "isolationLevel", "driver", "createTableOptions",
                                     "createTableColumnTypes", "numPartitions"}),
    },
    renamed={("read", "delimiter"): "sep", ("write", "delimiter"): "sep", ("read", "null_values"): "nullValue",
             ("read", "nullstr"): "nullValue", ("write", "nullstr"): "nullValue", ("read", "dateformat"): "dateFormat",
             ("read", "timestampformat"): "timestampFormat", ("read", "chunk_size"): "fetchsize",
             ("write", "chunk_size"): "batchsize"},
    declined={
        ("read", "csv"): {"skip": "Spark's CSV reader cannot skip leading lines"},
        ("write", "parquet"): {"row_group_size": "Spark sizes Parquet row groups in bytes (parquet.block.size)"},
        ("write", "sql"): {k: "Spark's JDBC writer loads its own transaction; run the node on the embedded engine"
                           for k in ("pre_sql", "post_sql")},
        ("write", "delta"): {"target_file_size": "set the table property delta.targetFileSize instead",
                             "description": "the spark engine keeps the commit's userMetadata for the write id"},
    },
    only={("read", "csv", "strict_mode"): (False, "Spark's CSV parser is never strict"),
          ("read", "parquet", "hive_partitioning"): (True, "Spark always reads hive partition folders"),
          ("write", "json", "lines"): (True, "Spark writes JSON lines only")},
    handled=frozenset({"columns", "dtype", "types", "all_varchar", "ignore_errors", "strict_mode", "lines",
                       "union_by_name", "hive_partitioning", "keys", "merge_keys", "version", "versionAsOf",
                       "timestampAsOf", "schema_mode", "zorder_by", "table_properties"}) | API_OPTIONS,
)
