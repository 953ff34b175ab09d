"""``aggregation``: GROUP BY ``grain`` with named ``measures`` (SQL aggregate expressions), ``having``,
audit columns, and incremental re-aggregation against the existing ``target``: ``replace`` swaps the
grain rows the new data touches, ``sum`` adds the new measures to the stored ones, ``min``/``max`` keep
the smaller/larger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..dialect import Dialect
from ._common import audit_columns


def aggregation_sql(d: Dialect, params: Mapping[str, Any], target: bool) -> str:
    """One SELECT over ``df`` (and ``target`` when ``target`` is true and incremental is configured)."""
    q = d.ident
    grain = [q(c) for c in params["grain"]]
    measures = [(m["name"], m["expr"]) for m in params["measures"]]
    select = ", ".join([*grain, *(f"{expr} AS {q(name)}" for name, expr in measures)])
    having = f" HAVING {params['having']}" if params.get("having") else ""
    rows = f"SELECT {select} FROM df GROUP BY {', '.join(grain)}{having}"
    incremental = params.get("incremental")
    if incremental and target:
        on = " AND ".join(f"t.{g} = n.{g}" for g in grain)
        strategy = incremental.get("merge_strategy", "replace")
        if strategy == "replace":
            kept = ", ".join(f"t.{c}" for c in [*grain, *(q(name) for name, _ in measures)])
            rows = f"{rows} UNION ALL SELECT {kept} FROM target AS t {d.anti_join} ({rows}) AS n ON {on}"
        else:
            combine = {"sum": "COALESCE(t.{c}, 0) + COALESCE(n.{c}, 0)",
                       "min": "LEAST(COALESCE(t.{c}, n.{c}), COALESCE(n.{c}, t.{c}))",
                       "max": "GREATEST(COALESCE(t.{c}, n.{c}), COALESCE(n.{c}, t.{c}))"}[strategy]
            cols = [*(f"COALESCE(t.{g}, n.{g}) AS {g}" for g in grain),
                    *(f"{combine.format(c=q(name))} AS {q(name)}" for name, _ in measures)]
            rows = f"SELECT {', '.join(cols)} FROM target AS t FULL OUTER JOIN ({rows}) AS n ON {on}"
    audit = audit_columns(d, params.get("audit"))
    return f"SELECT a.*{''.join(', ' + x for x in audit)} FROM ({rows}) AS a" if audit else rows
