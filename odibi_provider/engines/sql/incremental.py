"""The SQL of Odibi's incremental reads, written once against a :class:`Dialect`: the filter on ``df``
(``stateful``: past the stored mark minus ``watermark_lag``; ``rolling_window``: the last ``lookback``) and
the query for the new mark. ``fallback_column`` fills a NULL ``column`` (``COALESCE``); ``date_format``
parses a text column with Odibi's named formats. Standard library only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .dialect import Dialect

if TYPE_CHECKING:  # the Plan sits above this layer: its spec is only read here
    from ...plan.model import IncrementalSpec

# Odibi's date_format names -> (DuckDB strptime formats, Spark pattern with optional sections)
DATE_FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "oracle": (("%d-%b-%y %H:%M:%S.%g", "%d-%b-%y %H:%M:%S", "%d-%b-%y"), "dd-MMM-yy[ HH:mm:ss[.S]]"),
    "oracle_sqlserver": (("%d-%b-%y %H:%M:%S.%g", "%d-%b-%y %H:%M:%S", "%d-%b-%y"), "dd-MMM-yy[ HH:mm:ss[.S]]"),
    "sql_server": (("%Y-%m-%d %H:%M:%S.%g", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"), "yyyy-MM-dd[ HH:mm:ss[.SSS]]"),
    "us": (("%m/%d/%Y %H:%M:%S", "%m/%d/%Y"), "MM/dd/yyyy[ HH:mm:ss]"),
    "eu": (("%d/%m/%Y %H:%M:%S", "%d/%m/%Y"), "dd/MM/yyyy[ HH:mm:ss]"),
    "iso": (("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"), "yyyy-MM-dd['T'HH:mm:ss]"),
}


def _parsed(d: Dialect, column: str, date_format: str | None) -> str:
    expr = d.ident(column)
    if date_format is None:
        return expr
    duckdb_formats, spark_pattern = DATE_FORMATS[date_format]
    if d.name == "spark":  # Spark's MMM reads 'Apr', Oracle writes 'APR'
        text = f"initcap({expr})" if "MMM" in spark_pattern else expr
        return f"to_timestamp({text}, {d.string(spark_pattern)})"
    return f"try_strptime({expr}, [{', '.join(d.string(f) for f in duckdb_formats)}])"


def value_expr(d: Dialect, spec: IncrementalSpec) -> str:
    """The value an incremental read compares: ``column``, parsed, with ``fallback_column`` for NULLs."""
    expr = _parsed(d, spec.column, spec.date_format)
    if spec.fallback_column:
        expr = f"COALESCE({expr}, {_parsed(d, spec.fallback_column, spec.date_format)})"
    return expr


def _minus(d: Dialect, value: Any, seconds: int) -> str:
    return f"CAST({d.literal(value)} AS TIMESTAMP) - INTERVAL '{int(seconds)}' SECOND"


def filter_query(d: Dialect, spec: IncrementalSpec, *, mark: Any = None, now: dt.datetime | None = None) -> str:
    """``SELECT`` over ``df`` keeping the new rows: past ``mark`` (stateful) or since ``now`` minus the window."""
    expr = value_expr(d, spec)
    # compared with a timestamp: a text column (SQL sources often store ISO text) is read as one
    stamp = expr if spec.date_format else d.try_cast(expr, "TIMESTAMP")
    if spec.mode == "rolling_window":
        assert now is not None and spec.window_seconds is not None
        return f"SELECT * FROM df WHERE {stamp} >= {_minus(d, now.isoformat(sep=' '), spec.window_seconds)}"
    if spec.lag_seconds:
        return f"SELECT * FROM df WHERE {stamp} > {_minus(d, str(mark), spec.lag_seconds)}"
    if spec.date_format and isinstance(mark, str):
        return f"SELECT * FROM df WHERE {expr} > CAST({d.literal(mark)} AS TIMESTAMP)"
    return f"SELECT * FROM df WHERE {expr} > {d.literal(mark)}"  # both dialects cast it to the column's type


def mark_query(d: Dialect, spec: IncrementalSpec) -> str:
    """The new high-water mark: the largest compared value among the rows written."""
    return f"SELECT max({value_expr(d, spec)}) AS mark FROM df"
