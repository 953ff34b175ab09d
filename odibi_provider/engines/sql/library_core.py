"""Odibi's SQL core transformers (``odibi/transformers/sql_core.py``) with Odibi's names, params and defaults,
written once as SQL over ``df`` against a :class:`Dialect`.

The core names the provider already had (filter_rows, derive_columns, cast_columns, rename_columns,
select_columns, drop_columns, sort, fill_nulls) live in :mod:`.transformers` and take Odibi's params as they
are. Where Odibi builds SQL from raw names, these builders quote them and check them against the columns;
output column names follow Odibi (``{col}_part_{index}``, ``{col}_future``, ``{col}_trunc``, ``diff_{unit}``,
``{col}_converted``, ``row_num``).

Where the result differs from Odibi's, on purpose: ``cast_columns`` reads ``int`` as 64-bit (pandas' int;
Odibi's SQL maps it to INTEGER); ``derive_columns`` and every added column replace a column of the same name
in place instead of duplicating it; ``sort`` also takes one ``ascending`` flag per column and sorts nulls
last; ``row_number``'s ``order_by`` items are column names with ASC/DESC (not expressions); ``date_add`` and
``date_trunc`` give timestamps on both engines (Odibi's Spark kept dates); ``sample`` with ``seed`` is
repeatable (Odibi ignored it); ``trim_whitespace`` without ``columns`` trims the text columns only;
``clean_text`` honours ``operations: [trim, lower|upper]`` (Odibi's model drops that key unread).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..params import Params
from . import library_relational

if TYPE_CHECKING:
    from .transformers import SqlParams

# name -> (required params, optional params), as Odibi's params models declare them
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "clean_text": (("columns",), ("trim", "case", "operations")),
    "extract_date_parts": (("source_col",), ("prefix", "parts")),
    "normalize_schema": ((), ("rename", "drop", "select_order")),
    "limit": (("n",), ("offset",)),
    "sample": (("fraction",), ("seed",)),
    "distinct": ((), ("columns",)),
    "split_part": (("col", "delimiter", "index"), ()),
    "date_add": (("col", "value", "unit"), ()),
    "date_trunc": (("col", "unit"), ()),
    "date_diff": (("start_col", "end_col"), ("unit",)),
    "case_when": (("cases", "output_col"), ("default",)),
    "convert_timezone": (("col", "target_tz"), ("source_tz", "output_col")),
    "concat_columns": (("columns", "output_col"), ("separator",)),
    "add_prefix": (("prefix",), ("columns", "exclude")),
    "add_suffix": (("suffix",), ("columns", "exclude")),
    "normalize_column_names": ((), ("style", "lowercase", "remove_special")),
    "coalesce_columns": (("columns", "output_col"), ("drop_source",)),
    "replace_values": (("columns", "mapping"), ()),
    "trim_whitespace": ((), ("columns",)),
    "row_number": ((), ("output", "partition_by", "order_by")),
}
# transformers that need df's column types (the engines pass them as ``types["df"]``)
NEEDS_DF_TYPES = frozenset({"trim_whitespace"}) | library_relational.NEEDS_DF_TYPES
DATE_PARTS = ("year", "month", "day", "hour")
ADD_UNITS = ("day", "month", "year", "hour", "minute", "second")
TRUNC_UNITS = ("year", "month", "day", "hour", "minute", "second")
DIFF_UNITS = ("day", "hour", "minute", "second")
CLEAN_OPERATIONS = ("trim", "lower", "upper")


# param checks (Odibi's pydantic types with located messages), shared with ``validate`` through PARAM_SHAPES
def _choice(p: Params, key: str, choices: Sequence[str], default: str | None = None) -> str:
    value = p.params.get(key, default)
    if value not in choices:
        p.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _int(p: Params, key: str, default: int | None = None, *, minimum: int | None = None) -> int:
    value = p.params.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or (minimum is not None and value < minimum):
        p.fail(key, f"expected a whole number{f' >= {minimum}' if minimum is not None else ''}, got {value!r}")
    return value


def _string(p: Params, key: str, default: str | None = None, *, empty: bool = True) -> str:
    """A plain string (``empty``: may be ""), unlike SQL text."""
    if not isinstance(value := p.params.get(key, default), str) or not (empty or value):
        p.fail(key, f"expected a{'' if empty else ' non-empty'} string, got {value!r}")
    return value


def _fraction(p: Params, key: str) -> float:
    value = p.params.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        p.fail(key, f"expected a number from 0.0 to 1.0, got {value!r}")
    return float(value)


def _parts(p: Params, key: str) -> list[str]:
    parts = p.params.get(key, list(DATE_PARTS[:3]))
    if not isinstance(parts, (list, tuple)) or not parts or any(x not in DATE_PARTS for x in parts):
        p.fail(key, f"expected a list of {', '.join(DATE_PARTS)}, got {parts!r}")
    return list(parts)


def _cases(p: Params, key: str) -> list[tuple[str, str]]:
    cases = p.params.get(key)
    if not isinstance(cases, (list, tuple)) or not cases:
        p.fail(key, f"expected a non-empty list of {{condition, value}} mappings, got {cases!r}")
    for i, case in enumerate(cases):
        if not isinstance(case, Mapping) or set(case) != {"condition", "value"} or not all(
                isinstance(v, str) and v.strip() for v in case.values()):
            p.fail(key, f"item {i}: expected {{condition: <SQL>, value: <SQL>}}, got {case!r}")
    return [(case["condition"], case["value"]) for case in cases]


def _operations(p: Params, key: str) -> tuple[bool, str]:
    """clean_text's ``operations`` (a list of trim, lower, upper) as (trim, case)."""
    ops, allowed = p.params.get(key), f"(allowed: {', '.join(CLEAN_OPERATIONS)})"
    if not isinstance(ops, (list, tuple)) or not ops or any(op not in CLEAN_OPERATIONS for op in ops):
        p.fail(key, f"expected a non-empty list of operations {allowed}, got {ops!r}")
    if "lower" in ops and "upper" in ops:
        p.fail(key, f"lower and upper contradict each other: keep one {allowed}")
    if given := [k for k in ("trim", "case") if p.params.get(k) is not None]:
        p.fail(key, f"give operations {allowed} or {' and '.join(given)}, not both: e.g. replace "
                    f"{', '.join(given)} with operations: [trim, lower]")
    return "trim" in ops, next((op for op in ops if op != "trim"), "preserve")


def _zone(p: Params, key: str, default: str | None = None) -> str:
    zone = _string(p, key, default)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-/]*", zone):
        p.fail(key, f"'{zone}' is not a time zone name; use an IANA name such as UTC or America/New_York")
    return zone


def _optional_mapping(p: Params, key: str) -> dict[str, str]:
    """A mapping of names to names; absent, null or ``{}`` is none (Odibi's default)."""
    return {} if p.params.get(key) in (None, {}) else p.mapping(key)


def _replacements(p: Params, key: str) -> dict[str, str | None]:
    mapping = p.params.get(key)
    if not isinstance(mapping, Mapping) or not mapping or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in mapping.items()):
        p.fail(key, f"expected a non-empty mapping of old text to new text or null, got {mapping!r}")
    return dict(mapping)


def _optional_columns(p: SqlParams, key: str) -> list[str] | None:
    return None if p.params.get(key) is None else p.column_list(key, allow_empty=True)


def _with(p: SqlParams, name: str, expr: str) -> str:
    """All columns plus ``expr AS name`` (replacing a column of that name in place)."""
    return _with_all(p, {name: expr})


def _with_all(p: SqlParams, exprs: Mapping[str, str]) -> str:
    """All columns plus each ``expr AS name`` of ``exprs`` (a column of that name is replaced in place)."""
    new = {name.lower(): (name, expr) for name, expr in exprs.items()}
    cols = [f"{new.pop(c.lower())[1]} AS {p.ident(c)}" if c.lower() in new else p.ident(c) for c in p.columns]
    return p.select([*cols, *(f"{expr} AS {p.ident(name)}" for name, expr in new.values())])


def _replace(p: SqlParams, targets: Sequence[str], expr: Callable[[str], str]) -> str:
    """All columns, each of ``targets`` replaced by ``expr(quoted column)`` under its own name."""
    chosen = set(targets)
    return p.select([f"{expr(p.ident(c))} AS {p.ident(c)}" if c in chosen else p.ident(c) for c in p.columns])


def _renamed(p: SqlParams, names: Mapping[str, str], key: str) -> str:
    """All columns in order, renamed by ``names`` (column -> new name); a clash is an error about ``key``."""
    out = [names.get(c, c) for c in p.columns]
    if dupes := sorted({n for n in out if [o.lower() for o in out].count(n.lower()) > 1}):
        p.fail(key, f"renaming gives duplicate column name(s) {', '.join(dupes)}; rename or drop one first")
    return p.select([f"{p.ident(c)} AS {p.ident(names[c])}" if c in names else p.ident(c) for c in p.columns])


# the transformers -----------------------------------------------------------------------------------
def clean_text(p: SqlParams) -> str:
    """Trim (``trim``, default true) and change the case (``case``: lower, upper, preserve) of ``columns``;
    or, instead of both, ``operations``: a list of trim, lower, upper, applied as written (Odibi's model ignores
    this key; here it is honoured). YAML: ``transformer: clean_text`` / ``params: {columns: [email], case:
    lower}`` or ``params: {columns: [status], operations: [trim, lower]}``
    """
    if p.params.get("operations") is not None:
        trim, case = _operations(p, "operations")
    else:
        trim, case = p.flag("trim", True), _choice(p, "case", ("lower", "upper", "preserve"), "preserve")

    def clean(col: str) -> str:
        expr = f"trim({col})" if trim else col
        return expr if case == "preserve" else f"{case}({expr})"

    return _replace(p, p.column_list("columns"), clean)


def extract_date_parts(p: SqlParams) -> str:
    """Add ``{prefix}_{part}`` for each of ``parts`` (year, month, day, hour) of ``source_col``; ``prefix``
    defaults to the column's name.
    YAML: ``transformer: extract_date_parts`` / ``params: {source_col: order_date, parts: [year, month]}``
    """
    source = p.column(p.text("source_col"), "source_col")
    prefix = p.params.get("prefix") or source
    parts = _parts(p, "parts")
    return _with_all(p, {f"{prefix}_{part}": f"{part}({p.ident(source)})" for part in parts})


def normalize_schema(p: SqlParams) -> str:
    """Rename (``rename``: old -> new), drop (``drop``; absent names are ignored, as in Odibi) and, with
    ``select_order``, keep exactly those columns (by their new names) in that order.
    YAML: ``transformer: normalize_schema`` / ``params: {rename: {cust: customer_id}, drop: [_raw]}``
    """
    rename = {p.column(old, "rename"): new for old, new in _optional_mapping(p, "rename").items()}
    dropped = {d.lower() for d in p.names("drop", allow_empty=True)} if p.params.get("drop") is not None else set()
    kept = {rename.get(c, c): c for c in p.columns if c.lower() not in dropped}
    order = list(kept) if p.params.get("select_order") is None else p.column_list("select_order", of=list(kept))
    return p.select([f"{p.ident(kept[n])} AS {p.ident(n)}" if kept[n] != n else p.ident(n) for n in order])


def limit(p: SqlParams) -> str:
    """The first ``n`` rows after skipping ``offset`` (default 0).
    YAML: ``transformer: limit`` / ``params: {n: 100}``
    """
    return f"SELECT * FROM df LIMIT {_int(p, 'n', minimum=0)} OFFSET {_int(p, 'offset', 0, minimum=0)}"


def sample(p: SqlParams) -> str:
    """Each row kept with probability ``fraction`` (0.0 to 1.0); ``seed`` makes it repeatable.
    YAML: ``transformer: sample`` / ``params: {fraction: 0.1, seed: 42}``
    """
    seed = None if p.params.get("seed") is None else _int(p, "seed")
    return p.dialect.sample("df", _fraction(p, "fraction"), seed)


def distinct(p: SqlParams) -> str:
    """Unique rows, of ``columns`` only when given.
    YAML: ``transformer: distinct`` / ``params: {columns: [customer_id, country]}``
    """
    columns = _optional_columns(p, "columns")
    return "SELECT DISTINCT " + (", ".join(map(p.ident, columns)) if columns else "*") + " FROM df"


def split_part(p: SqlParams) -> str:
    """Add ``{col}_part_{index}``: the ``index``-th (1-based) piece of ``col`` split on ``delimiter``
    (literal text; an index past the end gives an empty string).
    YAML: ``transformer: split_part`` / ``params: {col: email, delimiter: "@", index: 2}``
    """
    col, index = p.column(p.text("col"), "col"), _int(p, "index", minimum=1)
    delimiter = _string(p, "delimiter", empty=False)
    expr = f"split_part({p.ident(col)}, {p.dialect.string(delimiter)}, {index})"
    return _with(p, f"{col}_part_{index}", expr)


def date_add(p: SqlParams) -> str:
    """Add ``{col}_future``: ``col`` plus ``value`` ``unit``\\ s (a timestamp, as Odibi's DuckDB gives).
    YAML: ``transformer: date_add`` / ``params: {col: order_date, value: 7, unit: day}``
    """
    col, value = p.column(p.text("col"), "col"), _int(p, "value")
    unit = _choice(p, "unit", ADD_UNITS)
    timestamp = p.dialect.type_names["timestamp"]
    sign = "-" if value < 0 else "+"
    return _with(p, f"{col}_future", f"CAST({p.ident(col)} AS {timestamp}) {sign} INTERVAL {abs(value)} {unit.upper()}")


def date_trunc(p: SqlParams) -> str:
    """Add ``{col}_trunc``: ``col`` truncated to ``unit`` (a timestamp).
    YAML: ``transformer: date_trunc`` / ``params: {col: created_at, unit: month}``
    """
    col, unit = p.column(p.text("col"), "col"), _choice(p, "unit", TRUNC_UNITS)
    timestamp = p.dialect.type_names["timestamp"]
    return _with(p, f"{col}_trunc", f"date_trunc({p.dialect.string(unit)}, CAST({p.ident(col)} AS {timestamp}))")


def date_diff(p: SqlParams) -> str:
    """Add ``diff_{unit}``: ``end_col`` minus ``start_col`` in days (calendar days, a whole number), or in
    hours/minutes (fractional) or seconds (whole).
    YAML: ``transformer: date_diff`` / ``params: {start_col: ordered_at, end_col: shipped_at, unit: hour}``
    """
    start, end = (p.ident(p.column(p.text(k), k)) for k in ("start_col", "end_col"))
    unit = _choice(p, "unit", DIFF_UNITS, "day")
    if unit == "day":
        expr = p.dialect.day_diff(start, end)
    else:
        seconds = p.dialect.second_diff(start, end)
        per = {"hour": 3600, "minute": 60}.get(unit)
        expr = f"(CAST({seconds} AS {p.dialect.type_names['float64']}) / {per})" if per else seconds
    return _with(p, f"diff_{unit}", expr)


def case_when(p: SqlParams) -> str:
    """Add ``output_col``: the ``value`` (SQL) of the first of ``cases`` whose ``condition`` (SQL) holds,
    else ``default`` (SQL, default NULL).
    YAML: ``transformer: case_when`` / ``params: {output_col: size, default: "'small'",
    cases: [{condition: "amount > 100", value: "'large'"}]}``
    """
    whens = [f"WHEN {condition} THEN {value}" for condition, value in _cases(p, "cases")]
    default = p.text("default") if "default" in p.params else "NULL"
    return _with(p, p.text("output_col"), f"CASE {' '.join(whens)} ELSE {default} END")


def convert_timezone(p: SqlParams) -> str:
    """Add ``output_col`` (default ``{col}_converted``): the wall-clock timestamp ``col`` read in
    ``source_tz`` (default UTC) shown in ``target_tz`` (IANA names such as America/New_York).
    YAML: ``transformer: convert_timezone`` / ``params: {col: event_at, target_tz: Europe/Paris}``
    """
    col = p.column(p.text("col"), "col")
    zones = [_zone(p, "source_tz", "UTC"), _zone(p, "target_tz")]
    target = p.params.get("output_col") or f"{col}_converted"
    return _with(p, target, p.dialect.convert_timezone(p.ident(col), *zones))


def concat_columns(p: SqlParams) -> str:
    """Add ``output_col``: ``columns`` as text joined by ``separator`` (default ""); nulls are skipped.
    YAML: ``transformer: concat_columns`` / ``params: {columns: [first, last], separator: " ",
    output_col: full_name}``
    """
    parts = [p.dialect.as_text(p.ident(c)) for c in p.column_list("columns")]
    sep = p.dialect.string(_string(p, "separator", ""))
    return _with(p, p.text("output_col"), f"concat_ws({sep}, {', '.join(parts)})")


def _affix(p: SqlParams, key: str, new: Callable[[str, str], str]) -> str:
    """add_prefix / add_suffix: rename ``columns`` (default all) but ``exclude``."""
    affix = p.text(key)
    targets = _optional_columns(p, "columns") or p.columns
    excluded = set(_optional_columns(p, "exclude") or [])
    return _renamed(p, {c: new(affix, c) for c in targets if c not in excluded}, key)


def add_prefix(p: SqlParams) -> str:
    """Prefix the names of ``columns`` (default all) except ``exclude``.
    YAML: ``transformer: add_prefix`` / ``params: {prefix: src_, exclude: [id]}``
    """
    return _affix(p, "prefix", lambda affix, c: affix + c)


def add_suffix(p: SqlParams) -> str:
    """Suffix the names of ``columns`` (default all) except ``exclude``.
    YAML: ``transformer: add_suffix`` / ``params: {suffix: _old}``
    """
    return _affix(p, "suffix", lambda affix, c: c + affix)


def normalize_column_names(p: SqlParams) -> str:
    """Rename every column: ``lowercase`` (default true), ``style: snake_case`` (default; spaces, dashes and
    dots become ``_``, camelCase splits) and ``remove_special`` (default true; only letters, digits, ``_``).
    YAML: ``transformer: normalize_column_names`` / ``params: {style: snake_case}``
    """
    style = _choice(p, "style", ("snake_case", "none"), "snake_case")
    lowercase, special = p.flag("lowercase", True), p.flag("remove_special", True)
    names = {}
    for col in p.columns:
        name = col.lower() if lowercase else col
        if style == "snake_case":
            name = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"[\s\-.]+", "_", name)).lower()
        if special:
            name = re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9_]", "", name)).strip("_")
        if not name:
            p.fail("remove_special", f"column {col!r} has no letters or digits left; rename it first")
        if name != col:
            names[col] = name
    return _renamed(p, names, "style")


def coalesce_columns(p: SqlParams) -> str:
    """Add ``output_col``: the first non-null of ``columns`` (in priority order); ``drop_source`` (default
    false) drops those columns.
    YAML: ``transformer: coalesce_columns`` / ``params: {columns: [mobile, phone], output_col: contact}``
    """
    columns, output = p.column_list("columns"), p.text("output_col")
    expr = f"COALESCE({', '.join(map(p.ident, columns))})"
    if not p.flag("drop_source", False):
        return _with(p, output, expr)
    gone = {c.lower() for c in columns} | {output.lower()}
    return p.select([*(p.ident(c) for c in p.columns if c.lower() not in gone), f"{expr} AS {p.ident(output)}"])


def replace_values(p: SqlParams) -> str:
    """In ``columns``, replace each value that equals a ``mapping`` key with its value (null: NULL).
    YAML: ``transformer: replace_values`` / ``params: {columns: [status], mapping: {N/A: null, "": null}}``
    """
    mapping, d = _replacements(p, "mapping"), p.dialect

    def replaced(col: str) -> str:
        whens = " ".join(f"WHEN {col} = {d.string(old)} THEN {d.literal(new)}" for old, new in mapping.items())
        return f"CASE {whens} ELSE {col} END"

    return _replace(p, p.column_list("columns"), replaced)


def trim_whitespace(p: SqlParams) -> str:
    """Trim ``columns`` (default: every text column).
    YAML: ``transformer: trim_whitespace`` / ``params: {columns: [name, city]}``
    """
    columns = _optional_columns(p, "columns")
    if columns is None:
        types = p.types.get("df", {})
        columns = [c for c in p.columns if p.dialect.is_text(types.get(c, ""))]
    return _replace(p, columns, lambda col: f"trim({col})")


def row_number(p: SqlParams) -> str:
    """Add ``output`` (default ``row_num``): 1, 2, ... per ``partition_by`` group in ``order_by`` order
    (column names, each optionally followed by ASC/DESC; without it the numbering is in no set order).
    YAML: ``transformer: row_number`` / ``params: {partition_by: [customer_id], order_by: [ordered_at DESC]}``
    """
    from .transformers import _order_terms  # here: transformers imports this module

    over = []
    if partition := _optional_columns(p, "partition_by"):
        over.append(f"PARTITION BY {', '.join(map(p.ident, partition))}")
    order = ", ".join(_order_terms(p)) if p.params.get("order_by") else p.dialect.no_order
    over.append(f"ORDER BY {order}")
    return _with(p, _string(p, "output", "row_num"), f"row_number() OVER ({' '.join(over)})")


TRANSFORMERS: dict[str, Callable[[SqlParams], str]] = {
    "clean_text": clean_text, "extract_date_parts": extract_date_parts, "normalize_schema": normalize_schema,
    "limit": limit, "sample": sample, "distinct": distinct, "split_part": split_part, "date_add": date_add,
    "date_trunc": date_trunc, "date_diff": date_diff, "case_when": case_when,
    "convert_timezone": convert_timezone, "concat_columns": concat_columns, "add_prefix": add_prefix,
    "add_suffix": add_suffix, "normalize_column_names": normalize_column_names,
    "coalesce_columns": coalesce_columns, "replace_values": replace_values, "trim_whitespace": trim_whitespace,
    "row_number": row_number,
}



def _names(p: Params, key: str) -> None:
    p.names(key, allow_empty=True)


def _text(p: Params, key: str) -> None:
    p.text(key)


def _flag(p: Params, key: str) -> None:
    p.flag(key, True)


def _choices(*choices: str) -> Callable[[Params, str], object]:
    return lambda p, key: _choice(p, key, choices)


_COLUMN, _AFFIX = {"col": _text}, {"columns": _names, "exclude": _names}
PARAM_SHAPES: dict[str, dict[str, Callable[[Params, str], object]]] = {
    "clean_text": {"columns": _names, "trim": _flag, "case": _choices("lower", "upper", "preserve"),
                   "operations": _operations},
    "extract_date_parts": {"source_col": _text, "prefix": _string, "parts": _parts},
    "normalize_schema": {"rename": _optional_mapping, "drop": _names, "select_order": _names},
    "limit": {"n": lambda p, k: _int(p, k, minimum=0), "offset": lambda p, k: _int(p, k, minimum=0)},
    "sample": {"fraction": _fraction, "seed": _int},
    "distinct": {"columns": _names},
    "split_part": {**_COLUMN, "delimiter": lambda p, k: _string(p, k, empty=False),
                   "index": lambda p, k: _int(p, k, minimum=1)},
    "date_add": {**_COLUMN, "value": _int, "unit": _choices(*ADD_UNITS)},
    "date_trunc": {**_COLUMN, "unit": _choices(*TRUNC_UNITS)},
    "date_diff": {"start_col": _text, "end_col": _text, "unit": _choices(*DIFF_UNITS)},
    "case_when": {"cases": _cases, "default": _text, "output_col": _text},
    "convert_timezone": {**_COLUMN, "source_tz": _zone, "target_tz": _zone, "output_col": _text},
    "concat_columns": {"columns": _names, "separator": _string, "output_col": _text},
    "add_prefix": {"prefix": _text, **_AFFIX},
    "add_suffix": {"suffix": _text, **_AFFIX},
    "normalize_column_names": {"style": _choices("snake_case", "none"), "lowercase": _flag,
                               "remove_special": _flag},
    "coalesce_columns": {"columns": _names, "output_col": _text, "drop_source": _flag},
    "replace_values": {"columns": _names, "mapping": _replacements},
    "trim_whitespace": {"columns": _names},
    "row_number": {"output": _string, "partition_by": _names, "order_by": _names},
}
"""Each transformer's param checks on shapes alone (no columns), run by ``validate`` at the param's YAML path."""
