"""Odibi's relational and advanced standard-library transformers as SQL over ``df``, written once for every
dialect, with Odibi 3.x's names, params and defaults (``SIGNATURES``, checked by ``validate`` through
``PARAM_SHAPES``), and the Odibi transformers refused with the reason (``REFUSED``).

``join``, ``union``, ``aggregate`` and ``deduplicate`` live in :mod:`.transformers` and accept both their
own params and Odibi's. Where Odibi's engines disagree with each other, one behaviour is chosen for both of
ours and said in the builder's docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ...errors import ExecutionError
from ..params import Params
from . import units
from .dialect import require_type, split_terms

if TYPE_CHECKING:
    from .transformers import SqlParams

# name -> (required params, optional params), as Odibi's params models declare them
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pivot": (("group_by", "pivot_col", "agg_col"), ("agg_func", "values")),
    "unpivot": (("id_cols", "value_vars"), ("var_name", "value_name")),
    "explode_list_column": (("column",), ("outer",)),
    "dict_based_mapping": (("column", "mapping"), ("default", "output_column")),
    "regex_replace": (("column", "pattern", "replacement"), ()),
    "unpack_struct": (("column",), ()),
    "hash_columns": (("columns",), ("algorithm",)),
    "generate_surrogate_key": (("columns",), ("separator", "output_col")),
    "generate_numeric_key": (("columns",), ("separator", "output_col", "coalesce_with")),
    "parse_json": (("column", "json_schema"), ("output_col",)),
    "validate_and_flag": (("rules",), ("flag_col",)),
    "window_calculation": (("target_col", "function"), ("partition_by", "order_by")),
    "sessionize": (("timestamp_col", "user_col"), ("threshold_seconds", "session_col")),
    "apply_mapping": (("column", "mapping_source", "source_key", "source_value"), ("output", "default")),
    "flatten_struct": (("column",), ("prefix", "depth", "separator", "drop_source")),
    "normalize_json": (("column",), ("sep",)),
    "split_events_by_period": (("start_col", "end_col"), ("period", "duration_col", "shifts", "shift_col")),
}

# Odibi transformers this package does not run, and why (``validate`` reports the reason at the step)
REFUSED: dict[str, str] = {
    "geocode": "it calls an external geocoding web service from inside the pipeline; geocode in a function "
               "step of your own (transforms.py) with the service and credentials you choose",
    "fluid_properties": "it needs CoolProp, a heavy thermodynamics library that is not a dependency; compute it "
                        "in a function step of your own (transforms.py)",
    "saturation_properties": "it needs CoolProp, a heavy thermodynamics library that is not a dependency; "
                             "compute it in a function step of your own (transforms.py)",
    "psychrometrics": "it needs CoolProp/psychrolib, heavy domain libraries that are not dependencies; compute "
                      "it in a function step of your own (transforms.py)",
}
# transformers that need df's column types (the engines pass them as ``types["df"]``)
NEEDS_DF_TYPES = frozenset({"unpack_struct", "flatten_struct", "normalize_json"})
AGG_FUNCS = ("sum", "count", "avg", "max", "min", "first")
HASHES = ("sha256", "md5")


def _put(p: SqlParams, outputs: Mapping[str, str], *, source: str = "df", qualifier: str = "") -> str:
    """``SELECT`` every column of ``df`` with ``outputs`` (name -> expression) from ``source``: a name ``df``
    has (any case) replaces that column in place, a new one is appended; ``qualifier`` prefixes the kept ones."""
    by_lower = {k.lower(): k for k in outputs}
    cols = [f"{outputs[by_lower[c.lower()]]} AS {p.ident(c)}" if c.lower() in by_lower else qualifier + p.ident(c)
            for c in p.columns]
    existing = {c.lower() for c in p.columns}
    cols += [f"{expr} AS {p.ident(name)}" for name, expr in outputs.items() if name.lower() not in existing]
    return f"SELECT {', '.join(cols)} FROM {source}"


def _choice(p: Params, key: str, choices: tuple[str, ...], default: str) -> str:
    if (value := p.params.get(key, default)) not in choices:
        p.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _literal(p: SqlParams, key: str, value: Any) -> str:
    try:
        return p.dialect.literal(value)
    except TypeError as exc:
        p.fail(key, f"{exc}; expected a string, number or boolean")


def _optional_name(p: Params, key: str, default: str | None = None) -> str | None:
    if (value := p.params.get(key, default)) is not None and (not isinstance(value, str) or not value):
        p.fail(key, f"expected a column name, got {value!r}")
    return value


def pivot(p: SqlParams) -> str:
    """One row per ``group_by``, one column per value of ``pivot_col`` holding ``agg_func`` (sum, count, avg,
    max, min, first; default sum) of ``agg_col``. Give ``values`` (the columns, in order) on Spark; DuckDB
    finds them itself when they are left out.
    YAML: ``transformer: pivot`` / ``params: {group_by: [id], pivot_col: month, agg_col: sales, values: [jan, feb]}``
    """
    groups = list(map(p.ident, p.column_list("group_by")))
    on, agg = p.ident(p.column(p.text("pivot_col"), "pivot_col")), p.ident(p.column(p.text("agg_col"), "agg_col"))
    func = _choice(p, "agg_func", AGG_FUNCS, "sum")
    if p.params.get("values") is None:
        if p.dialect.name != "duckdb":
            p.fail("values", f"the {p.dialect.name} engine needs the pivoted values listed; add "
                             "'values: [...]' (the values of pivot_col that become columns)")
        return f"PIVOT df ON {on} USING {_aggregate(p, func, agg)} GROUP BY {', '.join(groups)}"
    cells = [f"{_aggregate(p, func, f'CASE WHEN {p.dialect.as_text(on)} = {p.dialect.string(str(v))} THEN {agg} END')}"
             f" AS {p.ident(str(v))}" for v in _scalars(p, "values")]
    return p.select(groups + cells) + f" GROUP BY {', '.join(groups)}"


def _aggregate(p: SqlParams, func: str, expr: str) -> str:
    return p.dialect.first_value(expr) if func == "first" else f"{func}({expr})"


def _scalars(p: Params, key: str) -> list[Any]:
    value = p.params.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int, float, bool)) for v in value):
        p.fail(key, f"expected a non-empty list of values, got {value!r}")
    return value


def unpivot(p: SqlParams) -> str:
    """One row per ``id_cols`` and each of ``value_vars``: the column's name in ``var_name`` (default
    variable), its value in ``value_name`` (default value).
    YAML: ``transformer: unpivot`` / ``params: {id_cols: [id], value_vars: [jan, feb], var_name: month}``
    """
    ids = list(map(p.ident, p.column_list("id_cols")))
    var, value = (p.ident(_optional_name(p, k, d) or d) for k, d in (("var_name", "variable"),
                                                                      ("value_name", "value")))
    return " UNION ALL ".join(p.select([*ids, f"{p.dialect.string(c)} AS {var}", f"{p.ident(c)} AS {value}"])
                              for c in p.column_list("value_vars"))


def aggregate_functions(p: SqlParams) -> dict[str, str] | None:
    """Odibi's ``aggregations: {column: sum}`` form as output -> SQL, or None for the provider's
    ``{output: "sum(amount)"}`` form (a value that is an Odibi function name on a column of ``df`` is Odibi's)."""
    aggs = p.mapping("aggregations")
    names = {c.lower() for c in p.columns}
    if not all(str(v).strip().lower() in AGG_FUNCS and k.lower() in names for k, v in aggs.items()):
        return None
    return {p.column(k, "aggregations"): _aggregate(p, v.strip().lower(), p.ident(p.column(k, "aggregations")))
            for k, v in aggs.items()}


def explode_list_column(p: SqlParams) -> str:
    """One row per element of the list ``column`` (in place); ``outer`` (default false) keeps rows whose list
    is empty or null, with a null element.
    YAML: ``transformer: explode_list_column`` / ``params: {column: tags, outer: true}``
    """
    column = p.column(p.text("column"), "column")
    return _put(p, {column: p.dialect.explode(p.ident(column), p.flag("outer", False))})


def dict_based_mapping(p: SqlParams) -> str:
    """Map the values of ``column`` (compared as text) through ``mapping``; unmatched values become
    ``default`` (default null); the result replaces ``column`` or goes to ``output_column``.
    YAML: ``transformer: dict_based_mapping`` / ``params: {column: status, mapping: {"1": active}, default: other}``
    """
    column = p.column(p.text("column"), "column")
    source = p.dialect.as_text(p.ident(column))
    cases = " ".join(f"WHEN {p.dialect.string(k)} THEN {_literal(p, 'mapping', v)}"
                     for k, v in p.mapping("mapping", values=(str, int, float, bool)).items())
    default = _literal(p, "default", p.params.get("default"))
    return _put(p, {_optional_name(p, "output_column") or column: f"CASE {source} {cases} ELSE {default} END"})


def regex_replace(p: SqlParams) -> str:
    """Replace every match of the regular expression ``pattern`` in ``column`` with ``replacement``.
    YAML: ``transformer: regex_replace`` / ``params: {column: phone, pattern: "[^0-9]", replacement: ""}``
    """
    column = p.column(p.text("column"), "column")
    if not isinstance(replacement := p.params.get("replacement"), str):
        p.fail("replacement", f"expected a string, got {replacement!r}")
    expr = p.dialect.regex_replace(p.ident(column), p.dialect.string(p.text("pattern")),
                                   p.dialect.string(replacement))
    return _put(p, {column: expr})


def unpack_struct(p: SqlParams) -> str:
    """Append the fields of the struct ``column`` as top-level columns (the struct is kept, as in Odibi).
    YAML: ``transformer: unpack_struct`` / ``params: {column: address}``
    """
    column = p.column(p.text("column"), "column")
    return _put(p, dict(_struct_paths(p, "column", column, p.ident(column), "", 1, "_")))


def flatten_struct(p: SqlParams) -> str:
    """Replace the struct ``column`` by its fields, nested structs down to ``depth`` levels (default 1),
    named ``{prefix}{field}`` (``prefix`` defaults to ``{column}{separator}``, ``separator`` to '_');
    ``drop_source`` (default true) drops the struct.
    YAML: ``transformer: flatten_struct`` / ``params: {column: address, depth: 2}``
    """
    column = p.column(p.text("column"), "column")
    if not isinstance(sep := p.params.get("separator", "_"), str):
        p.fail("separator", f"expected a string, got {sep!r}")
    if not isinstance(depth := p.params.get("depth", 1), int) or isinstance(depth, bool) or depth < 1:
        p.fail("depth", f"expected a whole number of levels, 1 or more, got {depth!r}")
    prefix = p.params.get("prefix")
    prefix = f"{column}{sep}" if prefix is None else prefix
    if not isinstance(prefix, str):
        p.fail("prefix", f"expected a string, got {prefix!r}")
    fields = _struct_paths(p, "column", column, p.ident(column), prefix, depth, sep)
    if p.flag("drop_source", True):
        kept = [p.ident(c) for c in p.columns if c != column]
        return p.select([*kept, *(f"{expr} AS {p.ident(name)}" for name, expr in fields)])
    return _put(p, dict(fields))


def normalize_json(p: SqlParams) -> str:
    """Replace the struct ``column`` by all its nested fields, named by their path joined with ``sep``
    (default '_').
    YAML: ``transformer: normalize_json`` / ``params: {column: payload, sep: "_"}``
    """
    column = p.column(p.text("column"), "column")
    if not isinstance(sep := p.params.get("sep", "_"), str):
        p.fail("sep", f"expected a string, got {sep!r}")
    fields = _struct_paths(p, "column", column, p.ident(column), f"{column}{sep}", 100, sep)
    kept = [p.ident(c) for c in p.columns if c != column]
    return p.select([*kept, *(f"{expr} AS {p.ident(name)}" for name, expr in fields)])


def _struct_paths(p: SqlParams, key: str, column: str, expr: str, prefix: str, depth: int,
                  sep: str) -> list[tuple[str, str]]:
    """(output name, null-safe field expression) for each field of the struct column, nested structs
    expanded down to ``depth`` levels."""
    type_name = p.types.get("df", {}).get(column, "")
    if struct_fields(type_name) is None:
        p.fail(key, f"'{column}' is not a struct column; name a struct column (turn JSON text into one with "
                    "parse_json first)")
    return _expand(p, expr, type_name, prefix, depth, sep)


def _expand(p: SqlParams, expr: str, type_name: str, prefix: str, depth: int, sep: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, kind in struct_fields(type_name) or []:
        value = f"CASE WHEN {expr} IS NULL THEN NULL ELSE {expr}.{p.ident(name)} END"
        if depth > 1 and struct_fields(kind) is not None:
            out += _expand(p, f"({value})", kind, f"{prefix}{name}{sep}", depth - 1, sep)
        else:
            out.append((f"{prefix}{name}", value))
    return out


def struct_fields(type_name: str) -> list[tuple[str, str]] | None:
    """The (name, type) fields of a struct type as DuckDB (``STRUCT(a INTEGER, "b c" VARCHAR)``) or Spark
    (``struct<a:int,b:string>``) spell it; None for any other type."""
    text = type_name.strip()
    if not text.lower().startswith(("struct(", "struct<")) or text[-1] not in ")>":
        return None
    spark = text[6] == "<"
    fields = []
    for item in split_terms(text[7:-1], opening="(<", closing=")>"):
        if item[0] in "\"`":
            end = item.index(item[0], 1)
            name, rest = item[1:end], item[end + 1:]
        else:
            name, _, rest = item.partition(":" if spark else " ")
        fields.append((name.strip(), rest.strip().removeprefix(":").strip()))
    return fields


def hash_columns(p: SqlParams) -> str:
    """Replace each of ``columns`` by the hex digest (``algorithm``: sha256, the default, or md5) of its text.
    YAML: ``transformer: hash_columns`` / ``params: {columns: [email, ssn], algorithm: sha256}``
    """
    algorithm = _choice(p, "algorithm", HASHES, "sha256")
    digest = p.dialect.sha256 if algorithm == "sha256" else (lambda e: f"md5({e})")
    return _put(p, {c: digest(p.dialect.as_text(p.ident(c))) for c in p.column_list("columns")})


def _joined(p: SqlParams, separator_default: str, blank_is_empty: bool) -> str:
    """``concat_ws(separator, ...)`` of ``columns`` as text, nulls (and, if asked, blanks) as ''."""
    if not isinstance(sep := p.params.get("separator", separator_default), str):
        p.fail("separator", f"expected a string, got {sep!r}")
    parts = []
    for c in p.column_list("columns"):
        text = p.dialect.as_text(p.ident(c))
        parts.append(f"COALESCE(NULLIF(TRIM({text}), ''), '')" if blank_is_empty else f"COALESCE({text}, '')")
    return f"concat_ws({p.dialect.string(sep)}, {', '.join(parts)})"


def generate_surrogate_key(p: SqlParams) -> str:
    """Append ``output_col`` (default surrogate_key): the md5 hex of ``columns`` as text joined by
    ``separator`` (default '-'), nulls as ''.
    YAML: ``transformer: generate_surrogate_key`` / ``params: {columns: [region, product_id]}``
    """
    out = _optional_name(p, "output_col", "surrogate_key") or "surrogate_key"
    return _put(p, {out: f"md5({_joined(p, '-', False)})"})


def generate_numeric_key(p: SqlParams) -> str:
    """Append ``output_col`` (default numeric_key): a BIGINT from the first 15 hex digits of the md5 of
    ``columns`` as trimmed text joined by ``separator`` (default '|'); ``coalesce_with`` keeps that column's
    value where it is not null. (Odibi's Spark formula; both engines here give the same keys.)
    YAML: ``transformer: generate_numeric_key`` / ``params: {columns: [plant, line], coalesce_with: line_id}``
    """
    out = _optional_name(p, "output_col", "numeric_key") or "numeric_key"
    key = p.dialect.hex_to_bigint(f"substring(md5({_joined(p, '|', True)}), 1, 15)")
    if (keep := _optional_name(p, "coalesce_with")) is not None:
        key = f"COALESCE(CAST({p.ident(p.column(keep, 'coalesce_with'))} AS BIGINT), {key})"
    return _put(p, {out: key})


def parse_json(p: SqlParams) -> str:
    """Parse the JSON text in ``column`` into a struct with the fields of ``json_schema`` (DDL such as
    ``"a INT, b STRING"``), in ``output_col`` (default ``{column}_parsed``).
    YAML: ``transformer: parse_json`` / ``params: {column: payload, json_schema: "id BIGINT, kind STRING"}``
    """
    column = p.ident(p.column(p.text("column"), "column"))
    fields = {}
    for item in split_terms(p.text("json_schema")):
        name, _, type_text = item.strip().partition(" ")
        if not (type_text := type_text.strip().strip(":").strip()):
            p.fail("json_schema", f"field '{name}' has no type; write 'name TYPE, ...' (e.g. 'id BIGINT, kind STRING')")
        try:  # DDL's INT is SQL's 32-bit INTEGER (the pandas alias ``int`` is 64-bit elsewhere)
            kind = p.dialect.type_names["int32"] if type_text.lower() == "int" else require_type(p.dialect, type_text)
        except ExecutionError as exc:
            p.fail("json_schema", f"field '{name}': {exc}; nested types are not supported, parse them in steps")
        path = p.dialect.string("$." + name.strip("`\""))
        fields[name.strip("`\"")] = f"CAST({p.dialect.json_text(column, path)} AS {kind})"
    struct = f"CASE WHEN {column} IS NULL THEN NULL ELSE {p.dialect.struct(fields)} END"
    return _put(p, {_optional_name(p, "output_col") or f"{p.params['column']}_parsed": struct})


def validate_and_flag(p: SqlParams) -> str:
    """Append ``flag_col`` (default _issues): the names of the ``rules`` (name -> SQL condition that must be
    true) a row breaks, joined by ', ', or null when it breaks none.
    YAML: ``transformer: validate_and_flag`` / ``params: {rules: {positive: "amount > 0"}, flag_col: issues}``
    """
    broken = [f"CASE WHEN NOT ({cond}) THEN {p.dialect.string(name)} END" for name, cond in p.mapping("rules").items()]
    out = _optional_name(p, "flag_col", "_issues") or "_issues"
    return _put(p, {out: f"NULLIF(concat_ws(', ', {', '.join(broken)}), '')"})


def window_calculation(p: SqlParams) -> str:
    """Append ``target_col``: the window ``function`` (SQL such as ``sum(amount)``, ``rank()``) over
    ``partition_by`` (default none) ordered by ``order_by`` (SQL; nulls last unless told).
    YAML: ``transformer: window_calculation`` / ``params: {target_col: running, function: "sum(amount)",
    partition_by: [customer_id], order_by: "order_date"}``
    """
    parts = []
    if p.params.get("partition_by"):
        parts.append("PARTITION BY " + ", ".join(map(p.ident, p.column_list("partition_by"))))
    if p.params.get("order_by") is not None:
        parts.append("ORDER BY " + p.dialect.order_by(p.text("order_by")))
    return _put(p, {p.text("target_col"): f"{p.text('function')} OVER ({' '.join(parts)})"})


def sessionize(p: SqlParams) -> str:
    """Append ``session_col`` (default session_id), ``{user}-{n}``: per ``user_col``, ordered by
    ``timestamp_col``, a new session starts after a gap of more than ``threshold_seconds`` (default 1800).
    YAML: ``transformer: sessionize`` / ``params: {timestamp_col: ts, user_col: user_id, threshold_seconds: 600}``
    """
    ts, user = (p.ident(p.column(p.text(k), k)) for k in ("timestamp_col", "user_col"))
    if not isinstance(gap := p.params.get("threshold_seconds", 1800), int) or isinstance(gap, bool) or gap < 0:
        p.fail("threshold_seconds", f"expected a whole number of seconds, got {gap!r}")
    window = f"OVER (PARTITION BY {user} ORDER BY {p.dialect.order_by(ts)})"
    seconds = p.dialect.epoch_seconds
    new = f"CASE WHEN lag({ts}) {window} IS NULL OR {seconds(ts)} - {seconds(f'lag({ts}) {window}')} > {gap} " \
          "THEN 1 ELSE 0 END"
    flagged = f"(SELECT *, {new} AS {p.ident('__odibi_new')} FROM df) AS flagged"
    number = f"sum({p.ident('__odibi_new')}) {window}"
    session = f"concat({p.dialect.as_text(user)}, '-', {p.dialect.as_text(number)})"
    out = _optional_name(p, "session_col", "session_id") or "session_id"
    return _put(p, {out: session}, source=flagged)


def apply_mapping(p: SqlParams) -> str:
    """Look ``column`` up in the dataset ``mapping_source`` (``source_key`` -> ``source_value``; the first
    value per key when there are several); unmatched rows get ``default`` (default null). The result
    replaces ``column`` or goes to ``output``.
    YAML: ``transformer: apply_mapping`` / ``params: {column: code, mapping_source: codes, source_key: code,
    source_value: label}``
    """
    source = p.text("mapping_source")
    cols = p.relation(source, "mapping_source")
    key, value = (p.ident(p.column(p.text(k), k, of=cols, where=source)) for k in ("source_key", "source_value"))
    column = p.column(p.text("column"), "column")
    mapped = f"COALESCE(m.{value}, {_literal(p, 'default', p.params.get('default'))})"
    first = (f"SELECT {key}, {value}, row_number() OVER (PARTITION BY {key} ORDER BY {p.dialect.order_by(value)})"
             f" AS {p.ident('__odibi_rn')} FROM {p.ident(source)}")
    joined = (f"df LEFT JOIN ({first}) AS m ON df.{p.ident(column)} = m.{key} "
              f"AND m.{p.ident('__odibi_rn')} = 1")
    return _put(p, {_optional_name(p, "output") or column: mapped}, source=joined, qualifier="df.")


def split_events_by_period(p: SqlParams) -> str:
    """Split each event (``start_col`` .. ``end_col``) into one row per ``period`` it touches: day (default),
    hour, or each of ``shifts`` (``[{name, start: "HH:MM", end: "HH:MM"}]``, an end before the start runs
    past midnight; the shift's name goes to ``shift_col``, default shift_name). Each row's start and end are
    cut to its period; ``duration_col`` (optional) is its length in minutes. Rows without a start or end,
    or ending before they start, are dropped.
    YAML: ``transformer: split_events_by_period`` / ``params: {start_col: began, end_col: ended, period: day,
    duration_col: minutes}``
    """
    start_name, end_name = (p.column(p.text(k), k) for k in ("start_col", "end_col"))
    start, end = (f"CAST({p.ident(c)} AS TIMESTAMP)" for c in (start_name, end_name))
    period = _choice(p, "period", ("day", "hour", "shift"), "day")
    if period == "shift":
        shifts = _shifts(p)
    elif p.params.get("shifts") is not None:
        p.fail("shifts", f"shifts are for period 'shift', not '{period}'; remove 'shifts' or set period: shift")
    unit = "hour" if period == "hour" else "day"
    first = f"date_trunc('{unit}', {start})" + (" - INTERVAL 1 DAY" if period == "shift" else "")
    series = p.dialect.series(first, f"date_trunc('{unit}', {end})", f"INTERVAL 1 {unit.upper()}")
    bucket = p.ident("__odibi_period")
    source = (f"(SELECT *, {p.dialect.explode(f'CASE WHEN {end} >= {start} THEN {series} END', False)} "
              f"AS {bucket} FROM df) AS periods")
    windows = ([(None, bucket, f"{bucket} + INTERVAL 1 {unit.upper()}")] if period != "shift" else
               [(name, f"{bucket} + INTERVAL {a} MINUTE", f"{bucket} + INTERVAL {b} MINUTE") for name, a, b in shifts])
    selects = []
    for name, lo, hi in windows:
        cut_start, cut_end = f"greatest({start}, {lo})", f"least({end}, {hi})"
        outputs = {start_name: cut_start, end_name: cut_end}
        if duration := _optional_name(p, "duration_col"):
            seconds = p.dialect.epoch_seconds
            outputs[duration] = f"CAST({seconds(cut_end)} - {seconds(cut_start)} AS DOUBLE) / 60"
        if name is not None:
            outputs[_optional_name(p, "shift_col", "shift_name") or "shift_name"] = p.dialect.string(name)
        where = f" WHERE {start} < {hi} AND {end} > {lo}" if name is not None else ""
        selects.append(_put(p, outputs, source=source) + where)
    return " UNION ALL ".join(selects)


def _shifts(p: Params) -> list[tuple[str, int, int]]:
    """(name, start minute, end minute from the day's midnight; past 1440 when it ends the next day)."""
    shifts = p.params.get("shifts")
    if not isinstance(shifts, list) or not shifts:
        p.fail("shifts", f"period 'shift' needs a list of shifts ({{name, start: 'HH:MM', end: 'HH:MM'}}), "
                         f"got {shifts!r}")
    out = []
    for item in shifts:
        if not isinstance(item, Mapping) or set(item) != {"name", "start", "end"} or not isinstance(item["name"], str):
            p.fail("shifts", f"each shift is {{name, start: 'HH:MM', end: 'HH:MM'}}, got {item!r}")
        a, b = (_minute(p, item[k]) for k in ("start", "end"))
        out.append((item["name"], a, b + 1440 if b <= a else b))
    return out


def _minute(p: Params, text: Any) -> int:
    hours, _, minutes = str(text).partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        p.fail("shifts", f"expected a time of day as 'HH:MM', got {text!r}")
    return int(hours) * 60 + int(minutes)


LIBRARY: dict[str, Callable[[SqlParams], str]] = {
    "pivot": pivot, "unpivot": unpivot, "explode_list_column": explode_list_column,
    "dict_based_mapping": dict_based_mapping, "regex_replace": regex_replace, "unpack_struct": unpack_struct,
    "hash_columns": hash_columns, "generate_surrogate_key": generate_surrogate_key,
    "generate_numeric_key": generate_numeric_key, "parse_json": parse_json, "validate_and_flag": validate_and_flag,
    "window_calculation": window_calculation, "sessionize": sessionize, "apply_mapping": apply_mapping,
    "flatten_struct": flatten_struct, "normalize_json": normalize_json,
    "split_events_by_period": split_events_by_period,
}
if units.installed():  # the 'units' extra; without it validate refuses unit_convert with the install hint
    SIGNATURES["unit_convert"] = units.SIGNATURE
    LIBRARY["unit_convert"] = units.unit_convert
else:
    REFUSED["unit_convert"] = units.MISSING


def _scalar(p: Params, key: str) -> None:
    if not isinstance(value := p.params[key], (str, int, float, bool)):
        p.fail(key, f"expected a string, number or boolean, got {value!r}")


def _string(p: Params, key: str) -> None:
    if not isinstance(value := p.params[key], str):
        p.fail(key, f"expected a string, got {value!r}")


def _whole(p: Params, key: str) -> None:
    if not isinstance(value := p.params[key], int) or isinstance(value, bool) or value < 0:
        p.fail(key, f"expected a whole number, got {value!r}")


_TEXT: Callable[[Params, str], object] = lambda p, k: p.text(k)  # noqa: E731
_NAMES: Callable[[Params, str], object] = lambda p, k: p.names(k, allow_empty=True)  # noqa: E731
_NAME: Callable[[Params, str], object] = _optional_name
_FLAG: Callable[[Params, str], object] = lambda p, k: p.flag(k, False)  # noqa: E731
_STRUCT = {"column": _TEXT}

# each transformer's param checks on the shapes alone (``validate`` runs them; the builders run them again)
PARAM_SHAPES: dict[str, dict[str, Callable[[Params, str], object]]] = {
    "pivot": {"group_by": _NAMES, "pivot_col": _TEXT, "agg_col": _TEXT, "values": _scalars,
              "agg_func": lambda p, k: _choice(p, k, AGG_FUNCS, "sum")},
    "unpivot": {"id_cols": _NAMES, "value_vars": _NAMES, "var_name": _NAME, "value_name": _NAME},
    "explode_list_column": {"column": _TEXT, "outer": _FLAG},
    "dict_based_mapping": {"column": _TEXT, "mapping": lambda p, k: p.mapping(k, values=(str, int, float, bool)),
                           "default": _scalar, "output_column": _NAME},
    "regex_replace": {"column": _TEXT, "pattern": _TEXT, "replacement": _string},
    "unpack_struct": _STRUCT,
    "flatten_struct": {**_STRUCT, "prefix": _string, "depth": _whole, "separator": _string, "drop_source": _FLAG},
    "normalize_json": {**_STRUCT, "sep": _string},
    "hash_columns": {"columns": _NAMES, "algorithm": lambda p, k: _choice(p, k, HASHES, "sha256")},
    "generate_surrogate_key": {"columns": _NAMES, "separator": _string, "output_col": _NAME},
    "generate_numeric_key": {"columns": _NAMES, "separator": _string, "output_col": _NAME, "coalesce_with": _NAME},
    "parse_json": {"column": _TEXT, "json_schema": _TEXT, "output_col": _NAME},
    "validate_and_flag": {"rules": lambda p, k: p.mapping(k), "flag_col": _NAME},
    "window_calculation": {"target_col": _TEXT, "function": _TEXT, "partition_by": _NAMES, "order_by": _TEXT},
    "sessionize": {"timestamp_col": _TEXT, "user_col": _TEXT, "threshold_seconds": _whole, "session_col": _NAME},
    "split_events_by_period": {"start_col": _TEXT, "end_col": _TEXT, "duration_col": _NAME, "shift_col": _NAME,
                               "period": lambda p, k: _choice(p, k, ("day", "hour", "shift"), "day"),
                               "shifts": lambda p, k: _shifts(p)},
    "apply_mapping": {"column": _TEXT, "mapping_source": _TEXT, "source_key": _TEXT, "source_value": _TEXT,
                      "output": _NAME, "default": _scalar},
    "unit_convert": units.PARAM_SHAPES,
}
