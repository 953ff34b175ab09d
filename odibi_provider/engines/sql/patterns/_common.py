"""Pieces every pattern shares: audit columns and typed placeholder values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..dialect import Dialect, type_family

Schema = list[tuple[str, str]]


def audit_names(audit: Mapping[str, Any] | None) -> set[str]:
    """The columns :func:`audit_columns` adds (an input's own copies are replaced, not duplicated)."""
    if audit is None:
        return set()
    return ({"load_timestamp"} if audit.get("load_timestamp", True) else set()) | (
        {"source_system"} if audit.get("source_system") else set())


def audit_columns(d: Dialect, audit: Mapping[str, Any] | None) -> list[str]:
    """Odibi's audit columns: ``load_timestamp`` (unless turned off) and ``source_system`` when named."""
    if audit is None:
        return []
    out = []
    if audit.get("load_timestamp", True):
        out.append(f"CURRENT_TIMESTAMP AS {d.ident('load_timestamp')}")
    if audit.get("source_system"):
        out.append(f"{d.string(str(audit['source_system']))} AS {d.ident('source_system')}")
    return out


def unknown_value(d: Dialect, type_name: str, *, key: bool = False) -> str:
    """The unknown member's value for a column: ``-1`` for the natural key, ``Unknown`` for text, 0 for
    numbers, false for flags, NULL otherwise."""
    family = type_family(type_name)
    if family == "text":
        return d.string("-1" if key else "Unknown")
    if family in ("integer", "number"):
        return "-1" if key else "0"
    if family == "boolean":
        return "FALSE"
    return "NULL"
