"""Spark DataFrames <-> Arrow / pandas / JSON-ready rows, as the embedded engine presents them.

Timestamps cross as zone-less wall-clock times in the session time zone (UTC unless configured), the
way the embedded engine's DuckDB timestamps look; integer and boolean columns with nulls become
pandas' nullable dtypes (Int64, boolean).
"""

from __future__ import annotations

from typing import Any

from ...errors import ExecutionError
from ...extras import require


def to_arrow(frame: Any) -> Any:
    """The rows of ``frame`` as a ``pyarrow.Table`` with zone-less timestamps."""
    pa = require("pyarrow", extra="spark", purpose="moving Spark data to Python")
    return _local(pa, frame.toArrow())


def _local(pa: Any, table: Any) -> Any:
    """Zone-aware timestamp columns as wall-clock times of their zone, without the zone."""
    import pyarrow.compute as pc

    columns, changed = [], False
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            column, changed = pc.local_timestamp(column), True
        columns.append(column)
    return pa.table(columns, names=table.column_names) if changed else table


def to_pandas(frame: Any) -> Any:
    """A pandas DataFrame; integer and boolean columns with nulls become nullable (Int64, boolean)."""
    pa = require("pyarrow", extra="spark")
    table = to_arrow(frame)
    df = table.to_pandas()
    for field, column in zip(table.schema, table.columns, strict=True):
        if column.null_count and (pa.types.is_integer(field.type) or pa.types.is_boolean(field.type)):
            df[field.name] = column.to_pandas(types_mapper=lambda kind: _nullable(pa, kind))
    return df


def _nullable(pa: Any, kind: Any) -> Any:
    import pandas as pd

    if pa.types.is_boolean(kind):
        return pd.BooleanDtype()
    if pa.types.is_integer(kind):
        prefix = "UInt" if pa.types.is_unsigned_integer(kind) else "Int"
        return pd.api.types.pandas_dtype(f"{prefix}{kind.bit_width}")
    return None


def from_pandas(session: Any, df: Any) -> Any:
    """A Spark DataFrame from a pandas one (through Arrow); a named index becomes columns."""
    pd = require("pandas", extra="spark", purpose="Python transforms on Spark")
    pa = require("pyarrow", extra="spark")
    if not isinstance(df, pd.DataFrame):
        raise ExecutionError(f"expected a pandas DataFrame, got {type(df).__name__}")
    df = df.reset_index(drop=all(n is None for n in df.index.names))
    df.columns = [str(c) for c in df.columns]
    try:
        table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ExecutionError(f"cannot convert the DataFrame to Arrow: {exc}; make each column one type "
                             "(e.g. df[col] = df[col].astype(str))") from exc
    return from_arrow(session, table)


def from_arrow(session: Any, table: Any) -> Any:
    """A Spark DataFrame from a ``pyarrow.Table`` (null-typed columns become strings)."""
    pa = require("pyarrow", extra="spark")
    fields = [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    if any(pa.types.is_null(f.type) for f in table.schema):
        table = table.cast(pa.schema(fields))
    return session.createDataFrame(table)
