"""``dimension``: natural key -> integer surrogate key, SCD type 0/1/2, unknown member, audit columns.

Without an existing target, keys are ``ROW_NUMBER()`` over the natural key. Against the existing target
(the relation ``target``), matched rows keep their key (type 0 keeps the whole row, type 1 takes the
tracked columns from the source), rows only in the target stay, and new natural keys get
``MAX(existing key) + ROW_NUMBER()``. Type 2 keeps history through the ``scd2`` builder (``sql/scd.py``):
a changed row is closed and its new version gets a new key. The unknown member has key 0 and natural key
``-1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..dialect import Dialect
from ..scd import scd2_sql
from ._common import Schema, audit_columns, audit_names, unknown_value


def dimension_sql(d: Dialect, params: Mapping[str, Any], source: Schema, target: Schema | None) -> str:
    """One SELECT over ``df`` (and ``target`` when ``target`` is given) building the dimension."""
    q = d.ident
    nk, sk = params["natural_key"], params["surrogate_key"]
    history = _history_cols(params)
    dropped = {sk, *history, *audit_names(params.get("audit") or {})}
    names = [name for name, _ in source if name not in dropped]
    if params.get("scd_type", 1) == 2:
        rows = _scd2(d, params, names, [name for name, _ in target] if target is not None else None)
    elif target is None:
        cols = ", ".join(f"s.{q(c)}" for c in names)
        rows = f"SELECT CAST(ROW_NUMBER() OVER (ORDER BY s.{q(nk)}) AS BIGINT) AS {q(sk)}, {cols} FROM df AS s"
    else:
        rows = _incremental(d, params, names, {name for name, _ in target})
    if params.get("unknown_member"):
        types = dict(source)
        values = [f"{unknown_value(d, types[c], key=c == nk)} AS {q(c)}" for c in names]
        if history:
            ts = d.type_names["timestamp"]
            values += [f"CAST('1900-01-01' AS {ts}) AS {q(history[0])}", f"CAST(NULL AS {ts}) AS {q(history[1])}",
                       f"TRUE AS {q(history[2])}"]
        rows = f"SELECT CAST(0 AS BIGINT) AS {q(sk)}, {', '.join(values)} UNION ALL {rows}"
    audit = audit_columns(d, params.get("audit") or {})
    return f"SELECT rows.*{''.join(', ' + a for a in audit)} FROM ({rows}) AS rows"


def _history_cols(params: Mapping[str, Any]) -> list[str]:
    """Type 2's valid-from, valid-to and current-flag columns (none for types 0 and 1)."""
    if params.get("scd_type", 1) != 2:
        return []
    return [params.get("valid_from_col", "valid_from"), params.get("valid_to_col", "valid_to"),
            params.get("is_current_col", "is_current")]


def _scd2(d: Dialect, params: Mapping[str, Any], names: list[str], target: list[str] | None) -> str:
    """Type 2 through the ``scd2`` builder: changed rows are closed and get a new version with a new key."""
    q, ts = d.ident, d.type_names["timestamp"]
    nk, sk = params["natural_key"], params["surrogate_key"]
    start, end, flag = _history_cols(params)
    cols = ", ".join(f"s.{q(c)}" for c in names)
    source = (f"(SELECT {cols}, CAST(CURRENT_TIMESTAMP AS {ts}) AS {q(start)}, CAST(NULL AS BIGINT) AS {q(sk)} "
              "FROM df AS s)")
    if target is None:
        versions = (f"SELECT {cols}, s.{q(start)}, CAST(NULL AS {ts}) AS {q(end)}, TRUE AS {q(flag)}, s.{q(sk)} "
                    f"FROM {source} AS s")
        top = "0"
    else:
        kept = [*names, start, end, flag, sk]
        existing = f"(SELECT {', '.join(q(c) for c in kept)} FROM target WHERE {q(sk)} <> 0)"
        scd2 = {"keys": [nk], "track_cols": params["track_cols"], "effective_time_col": start,
                "end_time_col": end, "current_flag_col": flag}
        versions = scd2_sql(d, scd2, source=source, source_cols=[*names, start, sk], target=existing,
                            target_cols=kept, where=f"pattern 'dimension' target {params.get('target')}")
        top = f"(SELECT COALESCE(MAX({q(sk)}), 0) FROM target)"
    new = f"CASE WHEN v.{q(sk)} IS NULL THEN 1 ELSE 0 END"
    key = (f"CAST(COALESCE(v.{q(sk)}, {top} + ROW_NUMBER() OVER (PARTITION BY {new} ORDER BY v.{q(nk)}, "
           f"v.{q(start)})) AS BIGINT)")
    return (f"SELECT {key} AS {q(sk)}, {', '.join(f'v.{q(c)}' for c in [*names, start, end, flag])} "
            f"FROM ({versions}) AS v")


def _incremental(d: Dialect, params: Mapping[str, Any], names: list[str], existing: set[str]) -> str:
    q = d.ident
    nk, sk = params["natural_key"], params["surrogate_key"]
    tracked = set(params.get("track_cols") or []) if params.get("scd_type", 1) == 1 else set()
    target = f"(SELECT * FROM target WHERE {q(sk)} <> 0)"

    def old(c: str) -> str:
        return f"t.{q(c)}" if c in existing else "NULL"

    matched = ", ".join(f"{'s' if c in tracked else 't'}.{q(c)}" if c in existing or c in tracked
                        else f"s.{q(c)}" for c in names)
    kept = ", ".join(f"{old(c)} AS {q(c)}" for c in names)
    new = ", ".join(f"s.{q(c)}" for c in names)
    return (f"SELECT t.{q(sk)}, {matched} FROM df AS s JOIN {target} AS t ON s.{q(nk)} = t.{q(nk)} "
            f"UNION ALL SELECT t.{q(sk)}, {kept} FROM {target} AS t {d.anti_join} df AS s ON s.{q(nk)} = t.{q(nk)} "
            f"UNION ALL SELECT CAST(m.top + ROW_NUMBER() OVER (ORDER BY s.{q(nk)}) AS BIGINT) AS {q(sk)}, {new} "
            f"FROM df AS s {d.anti_join} {target} AS t ON s.{q(nk)} = t.{q(nk)} "
            f"CROSS JOIN (SELECT COALESCE(MAX({q(sk)}), 0) AS top FROM target) AS m")
