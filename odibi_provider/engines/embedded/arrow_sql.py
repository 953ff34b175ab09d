"""Arrow <-> SQLAlchemy: column types both ways, table names, and Arrow tables from result rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from ...extras import require


def split_table(table: str, default_schema: str | None) -> tuple[str | None, str]:
    """``schema.table`` -> (schema, table); a bare name takes the connection's schema."""
    schema, _, name = table.strip().rpartition(".")
    return (schema.strip('"') or default_schema), name.strip('"')


def sql_type(arrow_type: Any) -> Any:
    """The SQLAlchemy column type for an Arrow type (nested types become JSON)."""
    sa = require("sqlalchemy")
    pa = require("pyarrow")
    t = pa.types
    if t.is_boolean(arrow_type):
        return sa.Boolean()
    if t.is_int8(arrow_type) or t.is_int16(arrow_type) or t.is_uint8(arrow_type):
        return sa.SmallInteger()
    if t.is_int32(arrow_type) or t.is_uint16(arrow_type):
        return sa.Integer()
    if t.is_integer(arrow_type):
        return sa.BigInteger()
    if t.is_floating(arrow_type):
        return sa.Double()
    if t.is_decimal(arrow_type):
        return sa.Numeric(arrow_type.precision, arrow_type.scale)
    if t.is_timestamp(arrow_type):
        return sa.DateTime(timezone=arrow_type.tz is not None)
    if t.is_date(arrow_type):
        return sa.Date()
    if t.is_time(arrow_type):
        return sa.Time()
    if t.is_duration(arrow_type):
        return sa.Interval()
    if t.is_binary(arrow_type) or t.is_large_binary(arrow_type) or t.is_fixed_size_binary(arrow_type):
        return sa.LargeBinary()
    if t.is_nested(arrow_type):
        return sa.JSON()
    return sa.Text()


def arrow_type(column_type: Any) -> Any | None:
    """The Arrow type for a reflected SQLAlchemy type, or None to infer it from the values."""
    pa = require("pyarrow")
    try:
        python_type = column_type.python_type
    except (NotImplementedError, AttributeError):
        return None
    if python_type is dt.datetime:
        return pa.timestamp("us", tz="UTC" if getattr(column_type, "timezone", False) else None)
    return {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string(), bytes: pa.binary(),
            dt.date: pa.date32(), dt.time: pa.time64("us")}.get(python_type)


def arrow_from_rows(names: Sequence[str], rows: Iterable[Sequence[Any]], types: Sequence[Any | None]) -> Any:
    """An Arrow table from row tuples; a column whose declared type does not fit is inferred instead."""
    pa = require("pyarrow")
    columns: list[list[Any]] = [[] for _ in names]
    for row in rows:
        for index, value in enumerate(row):
            columns[index].append(value)
    arrays = [_array(pa, values, declared) for values, declared in zip(columns, types, strict=True)]
    return pa.table(arrays, names=list(names))


def _array(pa: Any, values: list[Any], declared: Any | None) -> Any:
    if declared is not None:
        try:
            return pa.array(values, type=declared)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError):
            pass
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return array.cast(pa.string()) if pa.types.is_null(array.type) else array
