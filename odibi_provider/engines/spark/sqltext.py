"""Spark SQL text: quoted identifiers, literals and type names (shared by transformers and validation)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import Any

# pandas-style and DuckDB type names -> Spark SQL types (anything else is passed through as written)
TYPE_ALIASES = {"str": "STRING", "string": "STRING", "text": "STRING", "varchar": "STRING", "object": "STRING",
                "int": "INT", "int32": "INT", "integer": "INT", "int64": "BIGINT", "long": "BIGINT",
                "int16": "SMALLINT", "float": "DOUBLE", "float64": "DOUBLE", "float32": "FLOAT", "real": "FLOAT",
                "bool": "BOOLEAN", "boolean": "BOOLEAN", "datetime": "TIMESTAMP", "datetime64[ns]": "TIMESTAMP",
                "date": "DATE", "timestamp": "TIMESTAMP", "double": "DOUBLE", "bigint": "BIGINT"}
_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$")


def ident(name: str) -> str:
    """A backquoted Spark SQL identifier (embedded backquotes doubled)."""
    return "`" + str(name).replace("`", "``") + "`"


def string_literal(value: str) -> str:
    """A Spark string literal: backslashes and quotes escaped (Spark reads ``\\`` escapes in literals)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(value: Any) -> str:
    """A Spark SQL literal for a plain Python value."""
    if value is None or isinstance(value, bool):
        return {None: "NULL", True: "TRUE", False: "FALSE"}[value]
    if isinstance(value, float) and not math.isfinite(value):
        return f"CAST('{value}' AS DOUBLE)"
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        kind = "TIMESTAMP" if isinstance(value, dt.datetime) else "DATE"
        return f"{kind} '{value.isoformat(sep=' ') if isinstance(value, dt.datetime) else value.isoformat()}'"
    if isinstance(value, str):
        return string_literal(value)
    raise TypeError(f"cannot use {type(value).__name__} {value!r} as a SQL literal")


def spark_type(name: str) -> str | None:
    """The Spark SQL type for a type name or alias (``float`` -> DOUBLE), or None when it is not a type."""
    mapped = TYPE_ALIASES.get(name.strip().lower(), name.strip())
    return mapped if _TYPE.match(mapped) else None


def split_terms(text: str) -> list[str]:
    """Split an ORDER BY list on top-level commas (not inside parentheses or quotes)."""
    terms, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            terms.append(text[start:i].strip())
            start = i + 1
    terms.append(text[start:].strip())
    return [t for t in terms if t]


def nulls_last(order: str) -> str:
    """An ORDER BY list where terms without a NULLS clause sort nulls last, as DuckDB does by default."""
    return ", ".join(t if re.search(r"\bnulls\s+(first|last)\s*$", t, re.IGNORECASE) else f"{t} NULLS LAST"
                     for t in split_terms(order))
