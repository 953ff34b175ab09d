"""The built-in transformers (names and params as in ``plan.builtins``) as Spark SQL over ``df``.

Same params, checks and results as the embedded engine's DuckDB versions; the SQL differs where the
dialects do (no ``DISTINCT ON``/``EXCLUDE``/``BY NAME`` in Spark SQL, backquoted identifiers, and
ORDER BY terms without a NULLS clause sort nulls last, as in DuckDB).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.builtins import BUILTIN_TRANSFORMERS
from ...plan.frozen import FrozenMap
from ..params import Params as BaseParams
from .sqltext import TYPE_ALIASES, ident, literal, nulls_last, spark_type

JOIN_KINDS = {"inner": "INNER JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "full": "FULL OUTER JOIN",
              "semi": "LEFT SEMI JOIN", "anti": "LEFT ANTI JOIN"}
ROW_NUMBER = "__odibi_rn"


@dataclass(frozen=True)
class Params(BaseParams):
    """The shared param checks, plus the Spark types of each relation's columns."""

    types: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # relation -> column -> Spark type


def _select(columns: Sequence[str], source: str = "df") -> str:
    return f"SELECT {', '.join(map(ident, columns))} FROM {source}"


def filter_rows(p: Params) -> str:
    """Keep the rows where ``condition`` (a SQL boolean) is true."""
    return f"SELECT * FROM df WHERE ({p.text('condition')})"


def derive_columns(p: Params) -> str:
    """Compute columns from SQL expressions; a derivation named like a column replaces it in place."""
    derivations = p.mapping("derivations")
    existing = {c.lower() for c in p.columns}
    replaced = {k.lower(): v for k, v in derivations.items() if k.lower() in existing}
    cols = [f"({replaced[c.lower()]}) AS {ident(c)}" if c.lower() in replaced else ident(c) for c in p.columns]
    cols += [f"({expr}) AS {ident(name)}" for name, expr in derivations.items() if name.lower() not in existing]
    return f"SELECT {', '.join(cols)} FROM df"


def cast_columns(p: Params) -> str:
    """Cast columns to SQL types or pandas-style aliases (``float`` is DOUBLE, ``str`` is STRING)."""
    casts: dict[str, str] = {}
    for col, type_name in p.mapping("casts").items():
        mapped = spark_type(type_name)
        if mapped is None:
            p.fail("casts", f"'{col}': '{type_name}' is not a type; expected a SQL type such as STRING, BIGINT, "
                            f"DOUBLE, DECIMAL(10, 2), DATE, TIMESTAMP or an alias ({known(TYPE_ALIASES)})")
        casts[p.column(col, "casts")] = mapped
    cols = [f"CAST({ident(c)} AS {casts[c]}) AS {ident(c)}" if c in casts else ident(c) for c in p.columns]
    return f"SELECT {', '.join(cols)} FROM df"


def rename_columns(p: Params) -> str:
    """Rename columns; the others keep their names and order."""
    mapping = {p.column(old, "mapping"): new for old, new in p.mapping("mapping").items()}
    cols = [f"{ident(c)} AS {ident(mapping[c])}" if c in mapping else ident(c) for c in p.columns]
    return f"SELECT {', '.join(cols)} FROM df"


def select_columns(p: Params) -> str:
    """Keep only ``columns``, in that order."""
    return _select(p.column_list("columns"))


def drop_columns(p: Params) -> str:
    """Drop ``columns``."""
    dropped = set(p.column_list("columns"))
    if len(dropped) >= len(p.columns):
        p.fail("columns", "dropping every column leaves nothing; keep at least one")
    return _select([c for c in p.columns if c not in dropped])


def deduplicate(p: Params) -> str:
    """Keep one row per ``keys``: the first by ``order_by`` (SQL, e.g. ``"order_ts DESC"``), else any one."""
    keys = ", ".join(map(ident, p.column_list("keys")))
    if (order := p.params.get("order_by")) is None:
        order_sql = keys
    else:
        order_sql = ", ".join(p.names("order_by")) if isinstance(order, (list, tuple)) else p.text("order_by")
    ranked = (f"(SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY {nulls_last(order_sql)}) "
              f"AS {ident(ROW_NUMBER)} FROM df) AS ranked")
    return f"{_select(p.columns, ranked)} WHERE {ident(ROW_NUMBER)} = 1"


def join(p: Params) -> str:
    """Join ``df`` with the dataset ``right_dataset`` on the shared key column(s) ``on``; ``how`` is inner
    (default), left, right, full, semi or anti; keys appear once; clashing right columns get ``_right``."""
    right = p.text("right_dataset")
    right_cols = p.relation(right, "right_dataset")
    how = p.params.get("how", "inner")
    if how not in JOIN_KINDS:
        p.fail("how", f"expected one of {', '.join(JOIN_KINDS)}, got {how!r}")
    keys = p.column_list("on")
    right_keys = [p.column(key, "on", of=right_cols, where=right) for key in keys]
    out = _join_outputs(p.columns, right_cols, keys, how)
    if "select" in p.params and p.params["select"] is not None:
        out = {name: out[name] for name in p.column_list("select", of=list(out))}
    cols = ", ".join(f"{expr} AS {ident(name)}" for name, expr in out.items())
    condition = " AND ".join(f"l.{ident(k)} = r.{ident(rk)}" for k, rk in zip(keys, right_keys, strict=True))
    return f"SELECT {cols} FROM df AS l {JOIN_KINDS[how]} {ident(right)} AS r ON {condition}"


def _join_outputs(left: list[str], right: list[str], keys: list[str], how: str) -> dict[str, str]:
    """Output column name -> SQL expression of a join, in left-then-right order (keys coalesced)."""
    key_set = {k.lower() for k in keys}
    right_of = {c.lower(): c for c in right}
    out = {}
    for c in left:
        if c.lower() not in key_set:
            out[c] = f"l.{ident(c)}"
        elif how == "right":
            out[c] = f"r.{ident(right_of[c.lower()])}"
        elif how == "full":
            out[c] = f"coalesce(l.{ident(c)}, r.{ident(right_of[c.lower()])})"
        else:
            out[c] = f"l.{ident(c)}"
    if how in ("semi", "anti"):
        return out
    taken = {c.lower() for c in left}
    for col in right:
        if col.lower() not in key_set:
            out[f"{col}_right" if col.lower() in taken else col] = f"r.{ident(col)}"
    return out


def union(p: Params) -> str:
    """Stack ``df`` then each dataset in ``datasets``; ``by_name`` (default true) matches columns by name
    (missing ones become null), ``distinct`` (default false) drops duplicate rows."""
    names = p.names("datasets")
    by_name, distinct = p.flag("by_name", True), p.flag("distinct", False)
    sources = {"df": p.columns} | {n: p.relation(n, "datasets") for n in names}
    op = " UNION " if distinct else " UNION ALL "
    if not by_name:
        for name, cols in sources.items():
            if len(cols) != len(p.columns):
                p.fail("datasets", f"'{name}' has {len(cols)} columns but df has {len(p.columns)}; "
                                   "a positional union (by_name: false) needs the same number of columns")
        return op.join(f"SELECT * FROM {ident(n) if n != 'df' else 'df'}" for n in sources)
    every: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for name, cols in sources.items():
        for c in cols:
            every.setdefault(c.lower(), c)
            kinds.setdefault(c.lower(), p.types.get(name, {}).get(c, "STRING"))
    selects = []
    for name, cols in sources.items():
        have = {c.lower(): c for c in cols}
        parts = [ident(have[k]) if k in have else f"CAST(NULL AS {kinds[k]}) AS {ident(c)}" for k, c in every.items()]
        selects.append(f"SELECT {', '.join(parts)} FROM {ident(name) if name != 'df' else 'df'}")
    return op.join(selects)


def aggregate(p: Params) -> str:
    """Group by ``group_by`` (an empty list aggregates the whole table) and compute ``aggregations``."""
    groups = list(map(ident, p.column_list("group_by", allow_empty=True)))
    aggs = [f"({expr}) AS {ident(name)}" for name, expr in p.mapping("aggregations").items()]
    sql = f"SELECT {', '.join(groups + aggs)} FROM df"
    return sql + f" GROUP BY {', '.join(groups)}" if groups else sql


def sort(p: Params) -> str:
    """Order rows by ``by``; ``ascending`` is one flag or one per column (nulls last)."""
    by = p.column_list("by")
    ascending = p.params.get("ascending", True)
    flags = [ascending] * len(by) if isinstance(ascending, bool) else ascending
    if not isinstance(flags, (list, tuple)) or len(flags) != len(by) or not all(isinstance(f, bool) for f in flags):
        p.fail("ascending", f"expected true/false or a list of {len(by)} true/false values (one per 'by' "
                            f"column), got {ascending!r}")
    order = ", ".join(f"{ident(c)} {'ASC' if up else 'DESC'} NULLS LAST" for c, up in zip(by, flags, strict=True))
    return f"SELECT * FROM df ORDER BY {order}"


def fill_nulls(p: Params) -> str:
    """Replace nulls in each named column with a literal value."""
    fills: dict[str, str] = {}
    for name, value in p.mapping("values", values=None).items():
        try:
            fills[p.column(name, "values")] = literal(value)
        except TypeError as exc:
            p.fail("values", f"'{name}': {exc}; expected a string, number, boolean or date")
    cols = [f"COALESCE({ident(c)}, {fills[c]}) AS {ident(c)}" if c in fills else ident(c) for c in p.columns]
    return f"SELECT {', '.join(cols)} FROM df"


TRANSFORMERS: dict[str, Callable[[Params], str]] = {
    "filter_rows": filter_rows, "derive_columns": derive_columns, "cast_columns": cast_columns,
    "rename_columns": rename_columns, "select_columns": select_columns, "drop_columns": drop_columns,
    "deduplicate": deduplicate, "join": join, "union": union, "aggregate": aggregate, "sort": sort,
    "fill_nulls": fill_nulls,
}


def build_sql(name: str, params: Mapping[str, Any], columns: Sequence[str], relations: Mapping[str, Sequence[str]],
              types: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The Spark SQL for built-in ``name`` over ``df`` (with ``columns``) and the named ``relations``
    (``types``: each relation's column types, for the nulls a by-name union fills in)."""
    builder = TRANSFORMERS.get(name)
    if builder is None:
        hint = did_you_mean(name, TRANSFORMERS) or f"built-ins: {known(TRANSFORMERS)}"
        raise ExecutionError(f"unknown transformer '{name}'; {hint}")
    signature = BUILTIN_TRANSFORMERS[name]
    expected = f"expected parameters: {', '.join(signature.names)}"
    if missing := [k for k in signature.required if k not in params]:
        raise ExecutionError(f"transformer '{name}' is missing parameter(s) {', '.join(missing)}; {expected}")
    if extra := [k for k in params if k not in signature.names]:
        hint = did_you_mean(extra[0], signature.names)
        raise ExecutionError(f"transformer '{name}' has no parameter '{extra[0]}'; " + (f"{hint} " if hint else "")
                             + expected)
    return builder(Params(name, FrozenMap(params).thaw(), list(columns), relations, types or {}))
