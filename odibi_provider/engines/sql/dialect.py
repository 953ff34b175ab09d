"""What differs between the SQL dialects the engines speak, and nothing else (text in, text out).

A :class:`Dialect` quotes identifiers and literals, names types, and spells the few clauses the
dialects write differently. The transformers and validation tests are written once against it
(:mod:`.transformers`, :mod:`.validation`); a new engine is one more subclass.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

# pandas-style and SQL type names -> portable type kinds (each dialect names the kinds); ``int`` is pandas'
# int (64-bit, as ``astype(int)`` and Odibi's pandas engine read it), ``integer`` SQL's 32-bit INTEGER
TYPE_ALIASES: dict[str, str] = {
    "str": "text", "string": "text", "text": "text", "varchar": "text", "object": "text",
    "int": "int64", "int32": "int32", "integer": "int32", "int16": "int16", "int64": "int64", "long": "int64",
    "bigint": "int64", "float": "float64", "float64": "float64", "double": "float64", "float32": "float32",
    "real": "float32", "bool": "boolean", "boolean": "boolean", "datetime": "timestamp",
    "datetime64[ns]": "timestamp", "timestamp": "timestamp", "date": "date",
}
# a column type's family decides how accepted values compare with it (lower-case base names)
_FAMILIES: dict[str, frozenset[str]] = {
    "text": frozenset({"varchar", "string", "text", "char", "bpchar", "character"}),
    "integer": frozenset({"tinyint", "smallint", "int", "integer", "bigint", "hugeint", "utinyint", "usmallint",
                          "uinteger", "ubigint", "uhugeint", "int1", "int2", "int4", "int8", "byte", "short",
                          "long"}),
    "number": frozenset({"float", "double", "real", "decimal", "numeric", "float4", "float8"}),
    "boolean": frozenset({"boolean", "bool"}),
    "date": frozenset({"date"}),
    "timestamp": frozenset({"timestamp", "timestamp_ntz", "timestamp_ltz", "timestamptz", "timestamp_ns",
                            "timestamp_ms", "timestamp_s", "timestamp_us", "datetime"}),
}
_NULLS = re.compile(r"\bnulls\s+(first|last)\s*$", re.IGNORECASE)
KEEP = "__odibi_keep"


class Dialect:
    """The portable SQL both engines accept; subclasses override only where their dialect differs."""

    name: ClassVar[str] = "sql"
    quote: ClassVar[str] = '"'
    backslash_escapes: ClassVar[bool] = False  # string literals read ``\\`` escapes
    nulls_last_by_default: ClassVar[bool] = False  # ORDER BY terms sort nulls last unless told
    semi_join: ClassVar[str] = "LEFT SEMI JOIN"
    anti_join: ClassVar[str] = "LEFT ANTI JOIN"
    type_names: ClassVar[Mapping[str, str]] = MappingProxyType({
        "text": "VARCHAR", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT", "float32": "FLOAT",
        "float64": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"})
    type_pattern: ClassVar[re.Pattern[str]] = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # quoting -------------------------------------------------------------------------------------
    def ident(self, name: str) -> str:
        """A quoted identifier (embedded quote characters doubled)."""
        return self.quote + str(name).replace(self.quote, self.quote * 2) + self.quote

    def string(self, text: str) -> str:
        """A string literal."""
        if self.backslash_escapes:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def typed(self, text: str, type_name: str) -> str:
        """The string ``text`` read as ``type_name``."""
        return f"CAST({self.string(text)} AS {type_name})"

    def literal(self, value: Any) -> str:
        """A literal for a plain Python scalar (TypeError for anything else)."""
        if value is None or isinstance(value, bool):
            return {None: "NULL", True: "TRUE", False: "FALSE"}[value]
        if isinstance(value, float) and not math.isfinite(value):
            return self.typed(str(value), self.type_names["float64"])
        if isinstance(value, (int, float, decimal.Decimal)):
            return str(value)
        if isinstance(value, dt.datetime):
            return f"TIMESTAMP {self.string(value.isoformat(sep=' '))}"
        if isinstance(value, dt.date):
            return f"DATE {self.string(value.isoformat())}"
        if isinstance(value, str):
            return self.string(value)
        raise TypeError(f"cannot use {type(value).__name__} {value!r} as a SQL literal")

    def argument(self, value: Any) -> str:
        """A literal that may also be a list or a string-keyed mapping (table-function arguments)."""
        if isinstance(value, Mapping):
            return self.struct({str(k): self.argument(v) for k, v in value.items()})
        if isinstance(value, (list, tuple)):
            return self.array([self.argument(v) for v in value])
        return self.literal(value)

    def array(self, items: Sequence[str]) -> str:
        return f"array({', '.join(items)})"

    def struct(self, fields: Mapping[str, str]) -> str:
        return f"named_struct({', '.join(f'{self.string(k)}, {v}' for k, v in fields.items())})"

    # types ---------------------------------------------------------------------------------------
    def type_name(self, name: str) -> str | None:
        """This dialect's type for a SQL type name or a pandas-style alias, or None when it is not a type."""
        kind = TYPE_ALIASES.get(str(name).strip().lower())
        mapped = self.type_names[kind] if kind else str(name).strip()
        return mapped if self.type_pattern.match(mapped) else None

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.type_names['text']})"

    def try_cast(self, expr: str, type_name: str) -> str:
        """``expr`` as ``type_name``, or NULL when it is not one."""
        return f"TRY_CAST({expr} AS {type_name})"

    # expressions ---------------------------------------------------------------------------------
    def regex_match(self, expr: str, pattern: str) -> str:
        """True where the regular expression ``pattern`` (a literal) matches anywhere in ``expr``."""
        return f"{expr} RLIKE {pattern}"

    def count_if(self, condition: str) -> str:
        return f"count_if({condition})"

    def order_by(self, terms: str) -> str:
        """An ORDER BY list whose terms without a NULLS clause sort nulls last."""
        if self.nulls_last_by_default:
            return terms
        return ", ".join(t if _NULLS.search(t) else f"{t} NULLS LAST" for t in split_terms(terms))

    def in_values(self, column: str, type_name: str, values: Sequence[Any]) -> str | None:
        """``column IN (...)`` with each value as a literal of the column's type; a value that cannot be
        one is left out (it never matches); None when no value is left."""
        family = type_family(type_name)
        if family == "other":
            column = self.as_text(column)
        literals = [s for v in values if (s := self._typed_value(v, family, type_name)) is not None]
        return f"{column} IN ({', '.join(literals)})" if literals else None

    def _typed_value(self, value: Any, family: str, type_name: str) -> str | None:
        if family in ("integer", "number"):
            number = _number(value)
            if number is None or (family == "integer" and number != number.to_integral_value()):
                return None
            return str(int(number)) if family == "integer" else format(number, "f")
        if family == "boolean":
            return {"true": "TRUE", "false": "FALSE"}.get(_text(value).lower())
        if family in ("date", "timestamp"):
            return self.try_cast(self.string(_text(value)), type_name)
        return self.string(_text(value))

    # clauses -------------------------------------------------------------------------------------
    def qualify(self, source: str, columns: Sequence[str], condition: str) -> str:
        """The rows of ``source`` where ``condition`` (holding a window function) is true."""
        keep = self.ident(KEEP)
        return (f"SELECT {', '.join(map(self.ident, columns))} FROM (SELECT *, {condition} AS {keep} FROM {source})"
                f" AS kept WHERE {keep}")

    def select_except(self, columns: Sequence[str], dropped: Sequence[str]) -> str:
        """The select list of ``columns`` without ``dropped``."""
        gone = set(dropped)
        return ", ".join(self.ident(c) for c in columns if c not in gone)

    def union_by_name(self, sources: Mapping[str, Sequence[str]], types: Mapping[str, Mapping[str, str]],
                      op: str) -> str:
        """Stack ``sources`` (relation -> columns) matching columns by name; a missing column is a typed null."""
        every: dict[str, str] = {}
        kinds: dict[str, str] = {}
        for name, cols in sources.items():
            for c in cols:
                every.setdefault(c.lower(), c)
                kinds.setdefault(c.lower(), types.get(name, {}).get(c, self.type_names["text"]))
        selects = []
        for name, cols in sources.items():
            have = {c.lower(): c for c in cols}
            parts = [self.ident(have[k]) if k in have else f"CAST(NULL AS {kinds[k]}) AS {self.ident(c)}"
                     for k, c in every.items()]
            selects.append(f"SELECT {', '.join(parts)} FROM {self.relation(name)}")
        return f" {op} ".join(selects)

    def relation(self, name: str) -> str:
        """A relation by name (``df`` as it is, others quoted)."""
        return name if name == "df" else self.ident(name)

    # Odibi's core library (:mod:`.library_core`) ------------------------------------------------
    no_order: ClassVar[str] = "1"  # an ORDER BY for a window that needs one but has no order

    def is_text(self, type_name: str) -> bool:
        return type_family(type_name) == "text"

    def sample(self, source: str, fraction: float, seed: int | None) -> str:
        """Rows of ``source``, each kept with probability ``fraction`` (repeatable with ``seed``)."""
        return f"SELECT * FROM {source} WHERE rand({'' if seed is None else seed}) < {fraction!r}"

    def day_diff(self, start: str, end: str) -> str:
        """Calendar days from ``start`` to ``end``."""
        return f"datediff({end}, {start})"

    def second_diff(self, start: str, end: str) -> str:
        """Whole seconds from ``start`` to ``end``."""
        return f"(unix_timestamp({end}) - unix_timestamp({start}))"

    def convert_timezone(self, expr: str, source_tz: str, target_tz: str) -> str:
        """The wall-clock timestamp ``expr`` in ``source_tz`` as wall-clock time in ``target_tz``."""
        ntz = f"from_utc_timestamp(to_utc_timestamp({expr}, {self.string(source_tz)}), {self.string(target_tz)})"
        return f"CAST({ntz} AS TIMESTAMP_NTZ)"

    # library transformers (``library_relational``) -------------------------------------------------
    def explode(self, expr: str, outer: bool) -> str:
        """A select-list item with one row per element of the list ``expr`` (``outer``: an empty or null
        list gives one row with null)."""
        return f"{'explode_outer' if outer else 'explode'}({expr})"

    def regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        """Every match of ``pattern`` in ``expr`` replaced (both literals)."""
        return f"regexp_replace({expr}, {pattern}, {replacement})"

    def sha256(self, expr: str) -> str:
        return f"sha2({expr}, 256)"

    def row_hash(self, exprs: list[str]) -> str:
        """A 64-bit hash of the values of ``exprs`` in one row (nulls hash too)."""
        return f"xxhash64({', '.join(exprs)})"

    def hex_to_bigint(self, expr: str) -> str:
        """Hex text (at most 15 digits) as a BIGINT."""
        return f"CAST(conv({expr}, 16, 10) AS BIGINT)"

    def json_text(self, expr: str, path: str) -> str:
        """The JSON value at ``path`` (a literal such as ``'$.a'``) in the JSON text ``expr``, as text."""
        return f"get_json_object({expr}, {path})"

    def epoch_seconds(self, expr: str) -> str:
        return f"unix_timestamp({expr})"

    def first_value(self, expr: str) -> str:
        """An aggregate: some non-null value of ``expr``."""
        return f"first({expr}, TRUE)"

    def series(self, start: str, stop: str, step: str) -> str:
        """The list ``start``, ``start + step``, ... up to ``stop`` (timestamps and an interval step)."""
        return f"sequence({start}, {stop}, {step})"


class DuckDBDialect(Dialect):
    """DuckDB: double-quoted names, QUALIFY, ``* EXCLUDE``, ``UNION BY NAME``, nulls last by default."""

    name = "duckdb"
    nulls_last_by_default = True
    semi_join = "SEMI JOIN"
    anti_join = "ANTI JOIN"
    type_pattern = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\d*\])*$")

    def typed(self, text: str, type_name: str) -> str:
        return f"{self.string(text)}::{type_name}"

    def array(self, items: Sequence[str]) -> str:
        return f"[{', '.join(items)}]"

    def struct(self, fields: Mapping[str, str]) -> str:
        return "{" + ", ".join(f"{self.string(k)}: {v}" for k, v in fields.items()) + "}"

    def regex_match(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {pattern})"

    def qualify(self, source: str, columns: Sequence[str], condition: str) -> str:
        return f"SELECT * FROM {source} QUALIFY {condition}"

    def select_except(self, columns: Sequence[str], dropped: Sequence[str]) -> str:
        return f"* EXCLUDE ({', '.join(map(self.ident, dropped))})"

    def union_by_name(self, sources: Mapping[str, Sequence[str]], types: Mapping[str, Mapping[str, str]],
                      op: str) -> str:
        return f" {op} BY NAME ".join(f"SELECT * FROM {self.relation(name)}" for name in sources)

    def sample(self, source: str, fraction: float, seed: int | None) -> str:
        if seed is None:
            return f"SELECT * FROM {source} WHERE random() < {fraction!r}"
        return f"SELECT * FROM {source} USING SAMPLE {fraction * 100!r} PERCENT (bernoulli, {seed})"

    def day_diff(self, start: str, end: str) -> str:
        return f"date_diff('day', {start}, {end})"

    def second_diff(self, start: str, end: str) -> str:
        return f"date_diff('second', {start}, {end})"

    def convert_timezone(self, expr: str, source_tz: str, target_tz: str) -> str:
        source, target = self.string(source_tz), self.string(target_tz)
        return f"(CAST({expr} AS TIMESTAMP) AT TIME ZONE {source}) AT TIME ZONE {target}"

    def explode(self, expr: str, outer: bool) -> str:
        return f"unnest(CASE WHEN len({expr}) > 0 THEN {expr} ELSE [NULL] END)" if outer else f"unnest({expr})"

    def regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({expr}, {pattern}, {replacement}, 'g')"

    def sha256(self, expr: str) -> str:
        return f"sha256({expr})"

    def row_hash(self, exprs: list[str]) -> str:
        return f"hash({', '.join(exprs)})"

    def hex_to_bigint(self, expr: str) -> str:
        return f"CAST('0x' || {expr} AS BIGINT)"

    def json_text(self, expr: str, path: str) -> str:
        return f"json_extract_string({expr}, {path})"

    def epoch_seconds(self, expr: str) -> str:
        return f"epoch({expr})"

    def first_value(self, expr: str) -> str:
        return f"any_value({expr})"

    def series(self, start: str, stop: str, step: str) -> str:
        return f"generate_series({start}, {stop}, {step})"


class SparkDialect(Dialect):
    """Spark SQL: backquoted names, backslash escapes in strings, STRING/INT, ``RLIKE``, nulls first."""

    name = "spark"
    quote = "`"
    backslash_escapes = True
    type_names = MappingProxyType({**Dialect.type_names, "text": "STRING", "int32": "INT"})


DUCKDB = DuckDBDialect()
SPARK = SparkDialect()


def type_family(type_name: str) -> str:
    """text, integer, number, boolean, date, timestamp or other (lists, structs, maps, ...)."""
    name = str(type_name).strip().lower()
    if "[" in name or "<" in name:
        return "other"
    base = name.split("(", 1)[0].strip()
    base = "timestamp" if base.startswith("timestamp with") else base
    return next((family for family, names in _FAMILIES.items() if base in names), "other")


def split_terms(text: str, *, opening: str = "([", closing: str = ")]") -> list[str]:
    """Split a SQL list on top-level commas (not inside parentheses, brackets or quotes; a type list
    passes ``<``/``>`` too)."""
    terms, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char in opening:
            depth += 1
        elif char in closing:
            depth -= 1
        elif char == "," and depth == 0:
            terms.append(text[start:i].strip())
            start = i + 1
    terms.append(text[start:].strip())
    return [t for t in terms if t]


def _number(value: Any) -> decimal.Decimal | None:
    """A finite number from a number or numeric text; None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(value: Any) -> str:
    """A value as the text a column would hold (booleans lower-case, timestamps ISO with a space)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def require_type(dialect: Dialect, name: Any) -> str:
    """``dialect``'s type for ``name`` (a SQL type or a pandas-style alias); ExecutionError when it is none."""
    from ...errors import ExecutionError

    if (kind := dialect.type_name(str(name))) is None:
        raise ExecutionError(f"'{name}' is not a type; use a SQL type (BIGINT, DOUBLE, DECIMAL(10, 2), DATE, ...) "
                             "or a pandas-style alias (str, int64, float, bool, datetime)")
    return kind
