"""The built-in transformers (names and params as in ``plan.builtins``) as SQL over ``df``, in any dialect.

Each builder checks its params against the columns and returns one statement for the engine to run; a
param of the wrong shape or an unknown column raises :class:`ExecutionError` naming transformer and param.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.builtins import BUILTIN_TRANSFORMERS
from ...plan.frozen import FrozenMap
from ..params import Params
from . import checks, deletes, library_core, library_relational
from .dialect import TYPE_ALIASES, Dialect

JOINS = ("inner", "left", "right", "full", "semi", "anti")
_ORDER_TERM = re.compile(r"(.+?)(\s+(?:ASC|DESC))?(\s+NULLS\s+(?:FIRST|LAST))?", re.IGNORECASE)


@dataclass(frozen=True)
class SqlParams(Params):
    """The shared param checks plus the dialect to write and each relation's column types."""

    dialect: Dialect
    types: Mapping[str, Mapping[str, str]]  # relation -> column -> type (for the nulls a union fills in)

    def ident(self, name: str) -> str:
        return self.dialect.ident(name)

    def select(self, items: Sequence[str]) -> str:
        return f"SELECT {', '.join(items)} FROM df"


def filter_rows(p: SqlParams) -> str:
    """Keep the rows where ``condition`` (a SQL boolean) is true.
    YAML: ``transformer: filter_rows`` / ``params: {condition: "amount > 0 AND status <> 'void'"}``
    """
    return f"SELECT * FROM df WHERE ({p.text('condition')})"


def derive_columns(p: SqlParams) -> str:
    """Compute columns from SQL expressions; a derivation named like a column replaces it in place.
    YAML: ``transformer: derive_columns`` / ``params: {derivations: {total: "price * qty", name: "upper(name)"}}``
    """
    derivations = p.mapping("derivations")
    existing = {c.lower() for c in p.columns}
    replaced = {k.lower(): v for k, v in derivations.items() if k.lower() in existing}
    cols = [f"({replaced[c.lower()]}) AS {p.ident(c)}" if c.lower() in replaced else p.ident(c) for c in p.columns]
    cols += [f"({expr}) AS {p.ident(name)}" for name, expr in derivations.items() if name.lower() not in existing]
    return p.select(cols)


def cast_columns(p: SqlParams) -> str:
    """Cast columns to SQL types or pandas-style aliases (``float`` is DOUBLE, ``str`` is text).
    YAML: ``transformer: cast_columns`` / ``params: {casts: {amount: "DECIMAL(10, 2)", order_date: date}}``
    """
    casts: dict[str, str] = {}
    for col, type_name in p.mapping("casts").items():
        column = p.column(col, "casts")
        if (mapped := p.dialect.type_name(type_name)) is None:
            p.fail("casts", f"'{col}': '{type_name}' is not a type; expected a SQL type such as BIGINT, DOUBLE, "
                            f"DECIMAL(10, 2), DATE, TIMESTAMP or an alias ({known(TYPE_ALIASES)})")
        casts[column] = mapped
    return p.select([f"CAST({p.ident(c)} AS {casts[c]}) AS {p.ident(c)}" if c in casts else p.ident(c)
                     for c in p.columns])


def rename_columns(p: SqlParams) -> str:
    """Rename columns; the others keep their names and order.
    YAML: ``transformer: rename_columns`` / ``params: {mapping: {cust_id: customer_id, amt: amount}}``
    """
    mapping = {p.column(old, "mapping"): new for old, new in p.mapping("mapping").items()}
    return p.select([f"{p.ident(c)} AS {p.ident(mapping[c])}" if c in mapping else p.ident(c) for c in p.columns])


def select_columns(p: SqlParams) -> str:
    """Keep only ``columns``, in that order.
    YAML: ``transformer: select_columns`` / ``params: {columns: [order_id, customer_id, amount]}``
    """
    return p.select([p.ident(c) for c in p.column_list("columns")])


def drop_columns(p: SqlParams) -> str:
    """Drop ``columns``.
    YAML: ``transformer: drop_columns`` / ``params: {columns: [_ingested_at, raw_payload]}``
    """
    dropped = list(dict.fromkeys(p.column_list("columns")))
    if len(dropped) >= len(p.columns):
        p.fail("columns", "dropping every column leaves nothing; keep at least one")
    return p.select([p.dialect.select_except(p.columns, dropped)])


def deduplicate(p: SqlParams) -> str:
    """Keep one row per ``keys``: the first by ``order_by``, else any one. ``order_by`` is a list of columns,
    each optionally followed by ``ASC``/``DESC`` and ``NULLS FIRST``/``LAST`` (the names are quoted), or one
    SQL expression as a string (``"coalesce(updated_at, created_at) DESC"``); nulls sort last unless told.
    YAML: ``transformer: deduplicate`` / ``params: {keys: [order_id], order_by: [updated_at DESC]}``
    """
    keys = ", ".join(map(p.ident, p.column_list("keys")))
    if (order := p.params.get("order_by")) is None:
        order_sql = keys
    else:
        order_sql = ", ".join(_order_terms(p)) if isinstance(order, (list, tuple)) else p.text("order_by")
    first = f"row_number() OVER (PARTITION BY {keys} ORDER BY {p.dialect.order_by(order_sql)}) = 1"
    return p.dialect.qualify("df", p.columns, first)


def _order_terms(p: SqlParams) -> list[str]:
    """``order_by`` list items as quoted columns with their direction and nulls order."""
    terms = []
    for item in p.names("order_by"):
        match = _ORDER_TERM.fullmatch(item.strip())
        assert match is not None  # the pattern matches any non-empty text
        column, direction, nulls = match.groups()
        terms.append(" ".join([p.ident(p.column(column, "order_by")),
                               *(" ".join(x.split()).upper() for x in (direction, nulls) if x)]))
    return terms


def join(p: SqlParams) -> str:
    """Join ``df`` with the dataset ``right_dataset`` on the shared key column(s) ``on``.

    ``how``: left (the default, as in Odibi), inner, right, full, semi, anti or cross (no ``on``). Keys appear
    once (the right key for right joins, coalesced for full); a right column whose name the left has becomes
    ``{prefix}_{column}``, where ``prefix`` defaults to ``right_dataset`` (Odibi's naming); ``select`` keeps the
    named outputs.
    YAML: ``transformer: join`` / ``params: {right_dataset: customers, on: customer_id, how: left}``
    """
    right = p.text("right_dataset")
    right_cols = p.relation(right, "right_dataset")
    if (how := p.params.get("how", "left")) not in (*JOINS, "cross"):
        p.fail("how", f"expected one of {', '.join(JOINS)}, cross, got {how!r}")
    if how == "cross" and p.params.get("on") is not None:
        p.fail("on", "a cross join has no keys; remove 'on' or choose another 'how'")
    if how != "cross" and p.params.get("on") is None:
        p.fail("on", f"a {how} join needs its key column(s) in 'on' (only how: cross has none)")
    keys = [] if how == "cross" else p.column_list("on")
    right_keys = [p.column(key, "on", of=right_cols, where=right) for key in keys]
    if (prefix := p.params.get("prefix")) is not None and (not isinstance(prefix, str) or not prefix):
        p.fail("prefix", f"expected a non-empty name prefix, got {prefix!r}")
    out = _join_outputs(p, right_cols, dict(zip(keys, right_keys, strict=True)), how, prefix or right)
    if "select" in p.params and p.params["select"] is not None:
        out = {name: out[name] for name in p.column_list("select", of=list(out))}
    condition = " AND ".join(f"l.{p.ident(k)} = r.{p.ident(rk)}" for k, rk in zip(keys, right_keys, strict=True))
    kind = {"semi": p.dialect.semi_join, "anti": p.dialect.anti_join, "full": "FULL OUTER JOIN"}.get(
        how, f"{how.upper()} JOIN")
    cols = ", ".join(f"{expr} AS {p.ident(name)}" for name, expr in out.items())
    return f"SELECT {cols} FROM df AS l {kind} {p.ident(right)} AS r" + (f" ON {condition}" if keys else "")


def _join_outputs(p: SqlParams, right: list[str], keys: Mapping[str, str], how: str,
                  prefix: str) -> dict[str, str]:
    """Output column name -> SQL expression of a join, in left-then-right order."""
    by_lower = {k.lower(): rk for k, rk in keys.items()}
    out = {}
    for c in p.columns:
        left, other = f"l.{p.ident(c)}", f"r.{p.ident(by_lower.get(c.lower(), c))}"
        if c.lower() in by_lower and how in ("right", "full"):
            out[c] = other if how == "right" else f"coalesce({left}, {other})"
        else:
            out[c] = left
    if how in ("semi", "anti"):
        return out
    taken = {c.lower() for c in p.columns}
    for col in right:
        if col.lower() not in by_lower:
            out[f"{prefix}_{col}" if col.lower() in taken else col] = f"r.{p.ident(col)}"
    return out


def union(p: SqlParams) -> str:
    """Stack ``df`` then each dataset in ``datasets``; ``by_name`` (default true) matches columns by name
    (missing ones become null), ``distinct`` (default false) drops duplicate rows.
    YAML: ``transformer: union`` / ``params: {datasets: [sales_eu, sales_us], by_name: true}``
    """
    names = p.names("datasets")
    by_name, distinct = p.flag("by_name", True), p.flag("distinct", False)
    sources = {"df": p.columns} | {n: p.relation(n, "datasets") for n in names}
    op = "UNION" if distinct else "UNION ALL"
    if by_name:
        return p.dialect.union_by_name(sources, p.types, op)
    for name, cols in sources.items():
        if len(cols) != len(p.columns):
            p.fail("datasets", f"'{name}' has {len(cols)} columns but df has {len(p.columns)}; "
                               "a positional union (by_name: false) needs the same number of columns")
    return f" {op} ".join(f"SELECT * FROM {p.dialect.relation(n)}" for n in sources)


def aggregate(p: SqlParams) -> str:
    """Group by ``group_by`` (an empty list aggregates the whole table) and compute ``aggregations``: output
    name -> SQL, or Odibi's column -> sum/count/avg/min/max/first (the output keeps the column's name).
    YAML: ``transformer: aggregate`` / ``params: {group_by: [store_id], aggregations: {revenue: "sum(amount)"}}``
    """
    groups = list(map(p.ident, p.column_list("group_by", allow_empty=True)))
    odibi = library_relational.aggregate_functions(p)  # Odibi's {column: sum} form
    aggs = [f"({expr}) AS {p.ident(name)}" for name, expr in (odibi or p.mapping("aggregations")).items()]
    sql = p.select(groups + aggs)
    return sql + f" GROUP BY {', '.join(groups)}" if groups else sql


def sort(p: SqlParams) -> str:
    """Order rows by ``by``; ``ascending`` is one flag or one per column (nulls last).
    YAML: ``transformer: sort`` / ``params: {by: [store_id, amount], ascending: [true, false]}``
    """
    by = p.column_list("by")
    ascending = p.params.get("ascending", True)
    flags = [ascending] * len(by) if isinstance(ascending, bool) else ascending
    if not isinstance(flags, (list, tuple)) or len(flags) != len(by) or not all(isinstance(f, bool) for f in flags):
        p.fail("ascending", f"expected true/false or a list of {len(by)} true/false values (one per 'by' "
                            f"column), got {ascending!r}")
    order = ", ".join(f"{p.ident(c)} {'ASC' if up else 'DESC'} NULLS LAST" for c, up in zip(by, flags, strict=True))
    return f"SELECT * FROM df ORDER BY {order}"


def fill_nulls(p: SqlParams) -> str:
    """Replace nulls in each named column with a literal value.
    YAML: ``transformer: fill_nulls`` / ``params: {values: {country: "unknown", discount: 0}}``
    """
    fills: dict[str, str] = {}
    for name, value in p.mapping("values", values=None).items():
        try:
            fills[p.column(name, "values")] = p.dialect.literal(value)
        except TypeError as exc:
            p.fail("values", f"'{name}': {exc}; expected a string, number, boolean or date")
    return p.select([f"COALESCE({p.ident(c)}, {fills[c]}) AS {p.ident(c)}" if c in fills else p.ident(c)
                     for c in p.columns])


TRANSFORMERS: dict[str, Callable[[SqlParams], str]] = {
    "filter_rows": filter_rows, "derive_columns": derive_columns, "cast_columns": cast_columns,
    "rename_columns": rename_columns, "select_columns": select_columns, "drop_columns": drop_columns,
    "deduplicate": deduplicate, "join": join, "union": union, "aggregate": aggregate, "sort": sort,
    "fill_nulls": fill_nulls,
}
TRANSFORMERS.update(library_core.TRANSFORMERS)  # Odibi's SQL core set
TRANSFORMERS.update(library_relational.LIBRARY)  # Odibi's relational and advanced set
TRANSFORMERS.update(deletes.LIBRARY)  # applied by runner/deletes.py once the deleted keys are known
TRANSFORMERS.update(checks.LIBRARY)  # cross_check: runner/checks.py checks, then passes df through


def build_sql(dialect: Dialect, name: str, params: Mapping[str, Any], columns: Sequence[str],
              relations: Mapping[str, Sequence[str]], types: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The SQL for built-in ``name`` over ``df`` (with ``columns``) and the named ``relations`` in ``dialect``
    (``types``: each relation's column types, ``df`` included, for the nulls a by-name union fills in)."""
    builder = TRANSFORMERS.get(name)
    if builder is None:
        hint = did_you_mean(name, TRANSFORMERS) or f"built-ins: {known(TRANSFORMERS)}"
        raise ExecutionError(f"unknown transformer '{name}'; {hint}")
    signature = BUILTIN_TRANSFORMERS[name]
    expected = f"expected parameters: {', '.join(signature.names)}"
    if missing := [k for k in signature.required if k not in params]:
        raise ExecutionError(f"transformer '{name}' is missing parameter(s) {', '.join(missing)}; {expected}")
    if extra := [k for k in params if k not in signature.names]:
        close = did_you_mean(extra[0], signature.names)
        raise ExecutionError(f"transformer '{name}' has no parameter '{extra[0]}'; " + (f"{close} " if close else "")
                             + expected)
    thawed = FrozenMap(params).thaw()  # plain dicts/lists
    return builder(SqlParams(name, thawed, list(columns), relations, dialect, types or {}))
