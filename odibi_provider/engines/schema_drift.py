"""One schema-drift policy for every writer that keeps existing rows (standard library only).

Appending (or upserting) a frame whose columns differ from the dataset's fails with an error listing
every difference, column by column: a column the data lacks, a new column, a column whose type family
changed (text, integer, number, boolean, date, timestamp, ...; see :func:`family`). A rename shows as
one missing and one new column. With ``merge_schema: true`` on the write (Odibi's flag, Delta's
``mergeSchema``) new columns are added, existing rows read NULL for them, and columns the data lacks
are written as NULL; a changed type still fails. Column order is never a difference: writers put the
frame's columns in the dataset's order. Names match case-insensitively, as both engines match them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..errors import ExecutionError
from .sql.dialect import type_family

Schema = Sequence[tuple[str, str]]  # [(column, type name)] as an engine or a database spells it
# write-id prefix of the rewrite that adds new (NULL) columns to existing file rows before an append; a
# prefix, so that no part name of the rewrite starts with the append's own ``part-<write id>_``
WIDEN_PREFIX = "odibi-schema-evolution:"
# formats whose rows carry the types: an empty dataset of these has no schema to compare against (csv reads a
# lone header as text columns, json lines without a line has no columns), so it counts as no data yet
ROWLESS_SCHEMA_FORMATS = frozenset({"csv", "json"})

# spellings of Arrow, PostgreSQL, SQLite and Spark that the SQL families do not list
_EXTRA_FAMILIES: dict[str, str] = {
    "int8": "integer", "int16": "integer", "int32": "integer", "int64": "integer", "uint8": "integer",
    "uint16": "integer", "uint32": "integer", "uint64": "integer", "serial": "integer", "bigserial": "integer",
    "halffloat": "number", "double precision": "number", "decimal128": "number", "decimal256": "number",
    "money": "number", "string": "text", "large_string": "text", "utf8": "text", "large_utf8": "text",
    "string_view": "text", "character varying": "text", "nvarchar": "text", "clob": "text", "binary": "binary",
    "large_binary": "binary", "blob": "binary", "bytea": "binary", "varbinary": "binary", "null": "null",
    "void": "null",
}
_PARAMS = re.compile(r"[\[(].*$")


def family(type_name: str) -> str:
    """The type family of a type as any engine spells it (``BIGINT``, ``int64``, ``timestamp[us, tz=UTC]``,
    ``double precision``, ``decimal(10,2)``): text, integer, number, boolean, date, timestamp, binary,
    null, or the normalised name itself for nested and other types (compared exactly)."""
    name = str(type_name).strip().lower()
    if name.startswith(("timestamp", "datetime", "date32", "date64")):  # Arrow's carry [unit, tz]
        return "date" if name.startswith(("date32", "date64")) else "timestamp"
    base = _PARAMS.sub("", name).strip()
    if base in _EXTRA_FAMILIES:
        return _EXTRA_FAMILIES[base]
    found = type_family(name)
    return name if found == "other" else found


@dataclass(frozen=True)
class Drift:
    """How a frame's columns differ from a dataset's; falsy when they match."""

    new: tuple[tuple[str, str], ...] = ()  # in the data, not in the dataset
    missing: tuple[tuple[str, str], ...] = ()  # in the dataset, not in the data
    retyped: tuple[tuple[str, str, str], ...] = ()  # (column, dataset type, data type)

    def __bool__(self) -> bool:
        return bool(self.new or self.missing or self.retyped)

    def lines(self) -> list[str]:
        """One line per difference; a lone missing + new pair of one family is flagged as a likely rename."""
        out = [f"column '{c}': the dataset has {old}, the data has {new} (type changed)"
               for c, old, new in self.retyped]
        out += [f"column '{c}' ({kind}): in the dataset, missing from the data" for c, kind in self.missing]
        renamed = (len(self.new) == len(self.missing) == 1
                   and family(self.new[0][1]) == family(self.missing[0][1]))
        out += [f"column '{c}' ({kind}): new in the data" + (f" (renamed from '{self.missing[0][0]}'?)"
                                                              if renamed else "") for c, kind in self.new]
        return out


def compare(dataset: Schema, data: Schema, *, ignore_types: Collection[str] = ()) -> Drift:
    """The differences between the ``dataset``'s columns and the ``data``'s; ``ignore_types`` names columns
    whose type is not compared (hive partition columns, whose type a reader infers from folder names)."""
    have = {c.lower(): (c, t) for c, t in dataset}
    got = {c.lower(): (c, t) for c, t in data}
    skip = {c.lower() for c in ignore_types}
    retyped = tuple((have[k][0], have[k][1], got[k][1]) for k in have
                    if k in got and k not in skip and not _same_family(have[k][1], got[k][1]))
    return Drift(new=tuple(got[k] for k in got if k not in have),
                 missing=tuple(have[k] for k in have if k not in got), retyped=retyped)


def _same_family(dataset: str, data: str) -> bool:
    """True when ``data``'s values fit the dataset's column unchanged (integers fit a number column)."""
    a, b = family(dataset), family(data)
    return a == b or "null" in (a, b) or (a, b) == ("number", "integer")  # all-null columns have no type


def check(dataset: Schema, data: Schema, *, merge_schema: bool, where: str, target: str, mode: str,
          ignore_types: Collection[str] = ()) -> Drift:
    """The drift between ``dataset`` and ``data``; raises SchemaDriftError unless there is none, or
    ``merge_schema`` is set and no column changed its type."""
    drift = compare(dataset, data, ignore_types=ignore_types)
    if drift and (drift.retyped or not merge_schema):
        raise SchemaDriftError(where, target, mode, drift, merge_schema=merge_schema)
    return drift


def merged_columns(dataset: Schema, data: Schema) -> list[tuple[str, str | None]]:
    """The columns to write after a drift check: the dataset's in its order, then the data's new ones.

    Each entry is ``(name as the data spells it, None)`` for a column the data has, or ``(dataset name,
    dataset type)`` for one it lacks (written as a NULL of that type)."""
    got = {c.lower(): c for c, _ in data}
    have = {c.lower() for c, _ in dataset}
    out: list[tuple[str, str | None]] = [(got[c.lower()], None) if c.lower() in got else (c, t) for c, t in dataset]
    return out + [(c, None) for c, _ in data if c.lower() not in have]


class SchemaDriftError(ExecutionError):
    """The data's columns differ from the existing dataset's (every difference listed)."""

    def __init__(self, where: str, target: str, mode: str, drift: Drift, *, merge_schema: bool) -> None:
        if drift.retyped:
            fix = ("cast the column(s) back to the dataset's type in a SQL step, or write once with "
                   "mode: overwrite to replace the dataset")
        else:
            fix = ("select and rename the columns to match in a SQL step, set merge_schema: true on the write "
                   "to add the new columns (existing rows read NULL, missing columns are written as NULL), "
                   "or write once with mode: overwrite to replace the dataset")
        if merge_schema and drift.retyped:
            fix = "merge_schema adds columns but never changes a type: " + fix
        details = "\n".join(f"  - {line}" for line in drift.lines())
        super().__init__(f"{where}: the data does not match the columns of the existing dataset '{target}' "
                         f"({mode}):\n{details}\n  fix: {fix}", retryable=False)
        self.drift = drift
