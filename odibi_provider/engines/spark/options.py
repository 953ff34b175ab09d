"""Spark reader and writer options from checked ones (which keys Spark accepts: :mod:`..options`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..options import SPARK


def check_options(kind: str, fmt: str, options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Return ``options`` as a dict, or raise naming the unknown keys and the accepted ones."""
    return SPARK.check(kind, fmt, options, where)


def spark_options(options: Mapping[str, Any], kind: str = "read") -> dict[str, str]:
    """The options Spark's reader (or writer) takes: portable names in Spark's spelling, odibi's own left out."""
    return SPARK.translate(kind, options)


def read_options(fmt: str, o: Mapping[str, Any]) -> dict[str, str]:
    """Spark reader options; ``ignore_errors`` drops malformed rows (short csv rows included), as DuckDB
    does. csv: header (default true), typed columns unless ``all_varchar``/``dtype: str``; otherwise Spark's
    PERMISSIVE mode pads short rows with nulls."""
    out = spark_options(o)
    if o.get("ignore_errors"):
        out.setdefault("mode", "DROPMALFORMED")
    if fmt != "csv":
        return out
    header = o.get("header", True)
    out["header"] = "true" if (header if isinstance(header, bool) else header in (None, 0)) else "false"
    as_text = o.get("all_varchar") or str(o.get("dtype", "")).lower() in ("str", "string", "object")
    out.setdefault("inferSchema", "false" if as_text else "true")
    if out.get("mode", "PERMISSIVE").upper() == "PERMISSIVE":
        out.setdefault("allowTruncatedRows", "true")  # Sail's switch for Spark's PERMISSIVE short rows
    return out
