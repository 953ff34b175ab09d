"""The built-in transformers (names and params as in ``plan.builtins``) as DuckDB SQL over ``df``.

Each builder checks its params against the columns and returns one SQL statement for the engine to run; a
param of the wrong shape or an unknown column raises :class:`ExecutionError` naming transformer and param.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..._suggest import did_you_mean, known
from ...errors import ExecutionError
from ...plan.builtins import BUILTIN_TRANSFORMERS
from ...plan.frozen import FrozenMap
from ..params import Params

JOIN_KINDS = {"inner": "INNER JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "full": "FULL OUTER JOIN",
              "semi": "SEMI JOIN", "anti": "ANTI JOIN"}
TYPE_ALIASES = {"str": "VARCHAR", "string": "VARCHAR", "text": "VARCHAR", "int": "INTEGER", "int32": "INTEGER",
                "int64": "BIGINT", "long": "BIGINT", "float": "DOUBLE", "float64": "DOUBLE", "float32": "FLOAT",
                "bool": "BOOLEAN", "datetime": "TIMESTAMP"}
_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\d*\])*$")


def ident(name: str) -> str:
    """A double-quoted SQL identifier (embedded quotes doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL literal for a plain Python value (strings single-quoted and escaped)."""
    if value is None or isinstance(value, bool):
        return {None: "NULL", True: "TRUE", False: "FALSE"}[value]
    if isinstance(value, float) and not math.isfinite(value):
        return f"'{value}'::DOUBLE"
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        kind = "TIMESTAMP" if isinstance(value, dt.datetime) else "DATE"
        return f"{kind} '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot use {type(value).__name__} {value!r} as a SQL literal")


def filter_rows(p: Params) -> str:
    """Keep the rows where ``condition`` (a SQL boolean) is true.
    YAML: ``transformer: filter_rows`` / ``params: {condition: "amount > 0 AND status <> 'void'"}``
    """
    return f"SELECT * FROM df WHERE ({p.text('condition')})"


def derive_columns(p: Params) -> str:
    """Compute columns from SQL expressions; a derivation named like a column replaces it in place.
    YAML: ``transformer: derive_columns`` / ``params: {derivations: {total: "price * qty", name: "upper(name)"}}``
    """
    derivations = p.mapping("derivations")
    existing = {c.lower() for c in p.columns}
    replaced = {k.lower(): v for k, v in derivations.items() if k.lower() in existing}
    cols = [f"({replaced[c.lower()]}) AS {ident(c)}" if c.lower() in replaced else ident(c) for c in p.columns]
    cols += [f"({expr}) AS {ident(name)}" for name, expr in derivations.items() if name.lower() not in existing]
    return f"SELECT {', '.join(cols)} FROM df"


def cast_columns(p: Params) -> str:
    """Cast columns to SQL types or pandas-style aliases (``float`` is DOUBLE, ``str`` is VARCHAR).
    YAML: ``transformer: cast_columns`` / ``params: {casts: {amount: "DECIMAL(10, 2)", order_date: date}}``
    """
    casts: dict[str, str] = {}
    for col, type_name in p.mapping("casts").items():
        casts[p.column(col, "casts")] = mapped = TYPE_ALIASES.get(type_name.strip().lower(), type_name.strip())
        if not _TYPE.match(mapped):
            p.fail("casts", f"'{col}': '{type_name}' is not a type; expected a SQL type such as VARCHAR, BIGINT, "
                            f"DOUBLE, DECIMAL(10, 2), DATE, TIMESTAMP or an alias ({known(TYPE_ALIASES)})")
    cols = [f"CAST({ident(c)} AS {casts[c]}) AS {ident(c)}" if c in casts else ident(c) for c in p.columns]
    return f"SELECT {', '.join(cols)} FROM df"


def rename_columns(p: Params) -> str:
    """Rename columns; the others keep their names and order.
    YAML: ``transformer: rename_columns`` / ``params: {mapping: {cust_id: customer_id, amt: amount}}``
    """
    mapping = {p.column(old, "mapping"): new for old, new in p.mapping("mapping").items()}
    cols = [f"{ident(c)} AS {ident(mapping[c])}" if c in mapping else ident(c) for c in p.columns]
    return f"SELECT {', '.join(cols)} FROM df"


def select_columns(p: Params) -> str:
    """Keep only ``columns``, in that order.
    YAML: ``transformer: select_columns`` / ``params: {columns: [order_id, customer_id, amount]}``
    """
    return f"SELECT {', '.join(map(ident, p.column_list('columns')))} FROM df"


def drop_columns(p: Params) -> str:
    """Drop ``columns``.
    YAML: ``transformer: drop_columns`` / ``params: {columns: [_ingested_at, raw_payload]}``
    """
    dropped = p.column_list("columns")
    if len(set(dropped)) >= len(p.columns):
        p.fail("columns", "dropping every column leaves nothing; keep at least one")
    return f"SELECT * EXCLUDE ({', '.join(map(ident, dropped))}) FROM df"


def deduplicate(p: Params) -> str:
    """Keep one row per ``keys``: the first by ``order_by`` (SQL, e.g. ``"order_ts DESC"``), else any one.
    YAML: ``transformer: deduplicate`` / ``params: {keys: [order_id], order_by: "updated_at DESC"}``
    """
    keys = ", ".join(map(ident, p.column_list("keys")))
    if (order := p.params.get("order_by")) is None:
        return f"SELECT DISTINCT ON ({keys}) * FROM df"
    order_sql = ", ".join(p.names("order_by")) if isinstance(order, (list, tuple)) else p.text("order_by")
    return f"SELECT * FROM df QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order_sql}) = 1"


def join(p: Params) -> str:
    """Join ``df`` with the dataset ``right_dataset`` on the shared key column(s) ``on``.

    ``how``: inner (default), left, right, full, semi or anti. Keys appear once (coalesced for right/full);
    a right column whose name the left has gets the suffix ``_right``; ``select`` keeps the named outputs.
    YAML: ``transformer: join`` / ``params: {right_dataset: customers, on: customer_id, how: left}``
    """
    right = p.text("right_dataset")
    right_cols = p.relation(right, "right_dataset")
    how = p.params.get("how", "inner")
    if how not in JOIN_KINDS:
        p.fail("how", f"expected one of {', '.join(JOIN_KINDS)}, got {how!r}")
    keys = p.column_list("on")
    for key in keys:
        p.column(key, "on", of=right_cols, where=right)
    out = _join_outputs(p.columns, right_cols, keys, how)
    if "select" in p.params and p.params["select"] is not None:
        out = {name: out[name] for name in p.column_list("select", of=list(out))}
    cols = ", ".join(expr if expr == ident(name) else f"{expr} AS {ident(name)}" for name, expr in out.items())
    using = ", ".join(map(ident, keys))
    return f"SELECT {cols} FROM df AS l {JOIN_KINDS[how]} {ident(right)} AS r USING ({using})"


def _join_outputs(left: list[str], right: list[str], keys: list[str], how: str) -> dict[str, str]:
    """Output column name -> SQL expression of a join, in left-then-right order."""
    key_set = {k.lower() for k in keys}
    out = {c: ident(c) if c.lower() in key_set else f"l.{ident(c)}" for c in left}
    if how in ("semi", "anti"):
        return out
    taken = {c.lower() for c in left}
    for col in right:
        if col.lower() not in key_set:
            out[f"{col}_right" if col.lower() in taken else col] = f"r.{ident(col)}"
    return out


def union(p: Params) -> str:
    """Stack ``df`` then each dataset in ``datasets``; ``by_name`` (default true) matches columns by name
    (missing ones become null), ``distinct`` (default false) drops duplicate rows.
    YAML: ``transformer: union`` / ``params: {datasets: [sales_eu, sales_us], by_name: true}``
    """
    names = p.names("datasets")
    by_name, distinct = p.flag("by_name", True), p.flag("distinct", False)
    for name in names:
        cols = p.relation(name, "datasets")
        if not by_name and len(cols) != len(p.columns):
            p.fail("datasets", f"'{name}' has {len(cols)} columns but df has {len(p.columns)}; "
                               "a positional union (by_name: false) needs the same number of columns")
    op = (" UNION " if distinct else " UNION ALL ") + ("BY NAME " if by_name else "")
    return op.join(["SELECT * FROM df", *(f"SELECT * FROM {ident(n)}" for n in names)])


def aggregate(p: Params) -> str:
    """Group by ``group_by`` (an empty list aggregates the whole table) and compute ``aggregations``.
    YAML: ``transformer: aggregate`` / ``params: {group_by: [store_id], aggregations: {revenue: "sum(amount)"}}``
    """
    groups = list(map(ident, p.column_list("group_by", allow_empty=True)))
    aggs = [f"({expr}) AS {ident(name)}" for name, expr in p.mapping("aggregations").items()]
    sql = f"SELECT {', '.join(groups + aggs)} FROM df"
    return sql + f" GROUP BY {', '.join(groups)}" if groups else sql


def sort(p: Params) -> str:
    """Order rows by ``by``; ``ascending`` is one flag or one per column (nulls last).
    YAML: ``transformer: sort`` / ``params: {by: [store_id, amount], ascending: [true, false]}``
    """
    by = p.column_list("by")
    ascending = p.params.get("ascending", True)
    flags = [ascending] * len(by) if isinstance(ascending, bool) else ascending
    if not isinstance(flags, (list, tuple)) or len(flags) != len(by) or not all(isinstance(f, bool) for f in flags):
        p.fail("ascending", f"expected true/false or a list of {len(by)} true/false values (one per 'by' "
                            f"column), got {ascending!r}")
    order = ", ".join(f"{ident(c)} {'ASC' if up else 'DESC'} NULLS LAST" for c, up in zip(by, flags, strict=True))
    return f"SELECT * FROM df ORDER BY {order}"


def fill_nulls(p: Params) -> str:
    """Replace nulls in each named column with a literal value.
    YAML: ``transformer: fill_nulls`` / ``params: {values: {country: "unknown", discount: 0}}``
    """
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


def build_sql(name: str, params: Mapping[str, Any], columns: Sequence[str],
              relations: Mapping[str, Sequence[str]]) -> str:
    """The SQL for built-in ``name`` over ``df`` (with ``columns``) and the named ``relations``."""
    builder = TRANSFORMERS.get(name)
    if builder is None:
        hint = did_you_mean(name, TRANSFORMERS) or f"built-ins: {known(TRANSFORMERS)}"
        raise ExecutionError(f"unknown transformer '{name}'; {hint}")
    signature = BUILTIN_TRANSFORMERS[name]
    expected = f"expected parameters: {', '.join(signature.names)}"
    missing = [k for k in signature.required if k not in params]
    if missing:
        raise ExecutionError(f"transformer '{name}' is missing parameter(s) {', '.join(missing)}; {expected}")
    extra = [k for k in params if k not in signature.names]
    if extra:
        hint = did_you_mean(extra[0], signature.names)
        raise ExecutionError(f"transformer '{name}' has no parameter '{extra[0]}'; " + (f"{hint} " if hint else "")
                             + expected)
    return builder(Params(name, FrozenMap(params).thaw(), list(columns), relations))  # plain dicts/lists
