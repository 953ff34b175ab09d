"""``fact``: dimension surrogate keys by natural key, orphans, grain check, measures, audit columns.

``dimensions`` entries name a relation (``dimension_table``, an upstream node), the fact column
(``source_column``), the dimension's natural key (``dimension_key``) and the key to fetch
(``surrogate_key``); ``scd2: true`` looks up current rows only. An orphan is a row whose key lookup
found nothing: ``unknown`` gives it key 0, ``reject`` fails, ``quarantine`` moves it aside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..dialect import Dialect
from ._common import Schema, audit_columns, audit_names


@dataclass(frozen=True)
class FactQueries:
    """``duplicates``: grain values seen twice (empty when the grain holds); ``orphans``: rows missing a key;
    ``result``: the fact rows to write."""

    duplicates: str | None
    orphans: str
    result: str


def fact_queries(d: Dialect, params: Mapping[str, Any], source: Schema,
                 relations: Mapping[str, str] | None = None) -> FactQueries:
    """The grain check, the orphan rows and the result, each one SELECT over ``df`` and the dimensions
    (``relations`` maps a ``dimension_table`` to the relation holding it when the names differ)."""
    q = d.ident
    names = [name for name, _ in source]
    base = "df"
    if params.get("deduplicate"):
        by = ", ".join(map(q, params.get("keys") or params.get("grain") or names))
        base = f"({d.qualify('df', names, f'ROW_NUMBER() OVER (PARTITION BY {by} ORDER BY {by}) = 1')})"
    joins: list[str] = []
    keys: list[tuple[str, str]] = []
    missing: list[str] = []
    for i, dim in enumerate(params.get("dimensions") or []):
        alias, sk = f"d{i}", dim["surrogate_key"]
        current = f" WHERE {q(dim.get('is_current_col', 'is_current'))} = TRUE" if dim.get("scd2") else ""
        joins.append(f"LEFT JOIN (SELECT {q(dim['dimension_key'])} AS k, {q(sk)} AS v FROM "
                     f"{d.relation((relations or {}).get(dim['dimension_table'], dim['dimension_table']))}{current}) "
                     f"AS {alias} "
                     f"ON s.{q(dim['source_column'])} = {alias}.k")
        keys.append((sk, f"{alias}.v"))
        missing.append(f"{alias}.v IS NULL")
    joined = f"{base} AS s {' '.join(joins)}"
    orphans = f"SELECT s.*{_rejection(d, params)} FROM {joined} WHERE {' OR '.join(missing) or 'FALSE'}"
    handling = params.get("orphan_handling", "unknown")
    key_cols = [f"{f'COALESCE({v}, 0)' if handling == 'unknown' else v} AS {q(sk)}" for sk, v in keys]
    renamed, computed = _measures(d, params.get("measures") or [], names)
    replaced = renamed | audit_names(params.get("audit"))
    kept = [f"s.{q(c)}" for c in names if c not in replaced]
    where = f" WHERE NOT ({' OR '.join(missing)})" if missing and handling == "quarantine" else ""
    inner = f"SELECT {', '.join([*kept, *key_cols, *computed])} FROM {joined}{where}"
    audit = audit_columns(d, params.get("audit"))
    result = f"SELECT f.*{''.join(', ' + a for a in audit)} FROM ({inner}) AS f" if audit else inner
    grain = params.get("grain") or []
    duplicates = None
    if grain:  # checked on the result, as in Odibi: a dimension with a repeated key multiplies fact rows
        cols = ", ".join(map(q, grain))
        duplicates = (f"SELECT {cols}, COUNT(*) AS {q('rows')} FROM ({inner}) AS s GROUP BY {cols} "
                      f"HAVING COUNT(*) > 1 ORDER BY {cols} LIMIT 5")
    return FactQueries(duplicates, orphans, result)


def _rejection(d: Dialect, params: Mapping[str, Any]) -> str:
    """Odibi's ``quarantine.add_columns``: why a row was set aside, when, and which dimension missed it."""
    wanted = ((params.get("quarantine") or {}).get("add_columns")) or {}
    dims = params.get("dimensions") or []
    first_miss = [(f"d{i}.v IS NULL", dim) for i, dim in enumerate(dims)]
    out = ""
    if wanted.get("_rejection_reason"):
        reasons = [(cond, f"no match in {dim['dimension_table']} for {dim['source_column']}")
                   for cond, dim in first_miss]
        whens = " ".join(f"WHEN {cond} THEN {d.string(reason)}" for cond, reason in reasons)
        out += f", CASE {whens} END AS {d.ident('_rejection_reason')}"
    if wanted.get("_rejected_at"):
        out += f", CURRENT_TIMESTAMP AS {d.ident('_rejected_at')}"
    if wanted.get("_source_dimension"):
        whens = " ".join(f"WHEN {cond} THEN {d.string(dim['dimension_table'])}" for cond, dim in first_miss)
        out += f", CASE {whens} END AS {d.ident('_source_dimension')}"
    return out


def _measures(d: Dialect, measures: list[Any], names: list[str]) -> tuple[set[str], list[str]]:
    """Odibi's measures: ``col`` passes through, ``new: col`` renames, ``new: "expr"`` computes."""
    renamed: set[str] = set()
    computed = []
    for measure in measures:
        if isinstance(measure, str):
            continue
        for new, expr in dict(measure).items():
            if expr in names:
                renamed.add(expr)
                computed.append(f"s.{d.ident(expr)} AS {d.ident(new)}")
            else:
                computed.append(f"({expr}) AS {d.ident(new)}")
    return renamed, computed
