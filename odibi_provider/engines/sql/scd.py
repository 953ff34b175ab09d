"""SCD type 2 and merge written once against a :class:`~.dialect.Dialect` (standard library only).

Each builder returns one query computing the *whole new version* of a target from the relation
``target`` (its current rows; an empty relation on a first load, see :func:`empty_target`) and the
relation ``source`` (the node's output). An engine runs the query and replaces the target with its
result inside its atomic section, or, where it has a MERGE, uses :func:`merge_clauses` instead.
Names and defaults are Odibi's (``SCD2Params``, ``MergeParams``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import ExecutionError
from .dialect import Dialect

STRATEGIES = ("upsert", "append_only", "delete_match")
_END = "__odibi_end"


@dataclass(frozen=True, slots=True)
class Scd2:
    """Odibi's ``scd2`` params that shape the history."""

    keys: tuple[str, ...]
    track_cols: tuple[str, ...]
    effective_time_col: str
    end_time_col: str = "valid_to"
    current_flag_col: str = "is_current"
    delete_col: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Scd2:
        return cls(tuple(params["keys"]), tuple(params["track_cols"]), params["effective_time_col"],
                   params.get("end_time_col") or "valid_to", params.get("current_flag_col") or "is_current",
                   params.get("delete_col"))


@dataclass(frozen=True, slots=True)
class Merge:
    """Odibi's ``merge`` params: keys, strategy, clause conditions (``source.``/``target.``), audit columns."""

    keys: tuple[str, ...]
    strategy: str = "upsert"
    update_condition: str | None = None
    insert_condition: str | None = None
    delete_condition: str | None = None
    created_col: str | None = None
    updated_col: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Merge:
        audit = params.get("audit_cols") or {}
        return cls(tuple(params["keys"]), params.get("strategy") or "upsert", params.get("update_condition"),
                   params.get("insert_condition"), params.get("delete_condition"), audit.get("created_col"),
                   audit.get("updated_col"))

    def audit(self) -> tuple[str, ...]:
        return tuple(c for c in (self.created_col, self.updated_col) if c)


def operation_params(mode: str, operation: Mapping[str, Any], keys: Sequence[str], where: str) -> dict[str, Any]:
    """The write's scd2/merge params, the write's keys filling ``keys``; raises naming what is missing."""
    params = {"keys": list(keys), **operation}
    required = ("keys", "track_cols", "effective_time_col") if mode == "scd2" else ("keys",)
    if missing := [k for k in required if not params.get(k)]:
        raise ExecutionError(f"{where}: mode '{mode}' needs {', '.join(missing)}; set them in the node's "
                             f"'transformer: {mode}' params")
    return params


def target_columns(mode: str, params: Mapping[str, Any], source_cols: Sequence[str]) -> list[str]:
    """The columns a first load creates: the source's plus the history or audit columns."""
    if mode == "scd2":
        spec = Scd2.of(params)
        extra: Sequence[str] = (spec.end_time_col, spec.current_flag_col)
    else:
        extra = Merge.of(params).audit()
    return [*source_cols, *[c for c in extra if c not in source_cols]]


def empty_target(d: Dialect, mode: str, params: Mapping[str, Any], source: str,
                 source_cols: Sequence[str]) -> str:
    """An empty relation shaped like the target a first load creates (to run the same query)."""
    now = "CURRENT_TIMESTAMP"
    extra = {}
    if mode == "scd2":
        spec = Scd2.of(params)
        extra = {spec.end_time_col: f"CAST(NULL AS {d.type_names['timestamp']})", spec.current_flag_col: "TRUE"}
    else:
        extra = {c: now for c in Merge.of(params).audit()}
    cols = [d.ident(c) for c in source_cols if c not in extra]
    cols += [f"{expr} AS {d.ident(c)}" for c, expr in extra.items()]
    return f"(SELECT {', '.join(cols)} FROM {source} WHERE 1 = 0)"


def version_sql(d: Dialect, mode: str, params: Mapping[str, Any], *, source: str, source_cols: Sequence[str],
                target: str | None, target_cols: Sequence[str], where: str) -> str:
    """The query for the target's new rows (mode ``scd2`` or ``merge``); ``target`` None: a first load."""
    if target is None:
        target, target_cols = empty_target(d, mode, params, source, source_cols), target_columns(
            mode, params, source_cols)
    build = scd2_sql if mode == "scd2" else merge_sql
    return build(d, params, source=source, source_cols=source_cols, target=target, target_cols=target_cols,
                 where=where)


def scd2_sql(d: Dialect, params: Mapping[str, Any], *, source: str, source_cols: Sequence[str], target: str,
             target_cols: Sequence[str], where: str, changes_only: bool = False) -> str:
    """The full history after applying ``source``: current rows whose tracked columns changed (or whose
    ``delete_col`` is true) are closed (end = the source's effective time, flag false); new keys and
    changed rows are inserted as current; every other row is kept as it is. ``changes_only``: just the
    closed versions and the new rows (for a MERGE, see :func:`scd2_merge_predicate`)."""
    spec = Scd2.of(params)
    _need(spec.keys + spec.track_cols + (spec.effective_time_col,), source_cols, "source", where)
    _need(spec.keys + spec.track_cols + (spec.end_time_col, spec.current_flag_col), target_cols,
          "existing target", where)
    ident, ts = d.ident, d.type_names["timestamp"]
    flag, end = ident(spec.current_flag_col), ident(spec.end_time_col)
    on = _keys(d, spec.keys, "s", "c")
    changed = " OR ".join(f"s.{ident(c)} IS DISTINCT FROM c.{ident(c)}" for c in spec.track_cols) or "FALSE"
    deleted = f"COALESCE(s.{ident(spec.delete_col)}, FALSE)" if spec.delete_col else "FALSE"
    closing = (f"SELECT {', '.join(f's.{ident(k)}' for k in spec.keys)}, "
               f"CAST(s.{ident(spec.effective_time_col)} AS {ts}) AS {_END} FROM {source} AS s "
               f"JOIN {target} AS c ON {on} AND c.{flag} = TRUE WHERE ({changed}) OR {deleted}")
    kept = ", ".join(
        f"CASE WHEN m.{_END} IS NOT NULL THEN m.{_END} ELSE t.{end} END AS {end}" if c == spec.end_time_col else
        f"CASE WHEN m.{_END} IS NOT NULL THEN FALSE ELSE t.{flag} END AS {flag}" if c == spec.current_flag_col
        else f"t.{ident(c)}" for c in target_cols)
    history = (f"SELECT {kept} FROM {target} AS t LEFT JOIN ({closing}) AS m "
               f"ON t.{flag} = TRUE AND {_keys(d, spec.keys, 't', 'm')}"
               + (f" WHERE m.{_END} IS NOT NULL" if changes_only else ""))
    _need([c for c in target_cols if c not in (spec.end_time_col, spec.current_flag_col)], source_cols,
          "source", where, hint="the source must carry every column of the existing target")
    _need(source_cols, target_cols, "existing target", where,
          hint="drop the new column(s) from the node's output, or overwrite the target once to add them")
    new = ", ".join(f"CAST(NULL AS {ts}) AS {end}" if c == spec.end_time_col else
                    f"TRUE AS {flag}" if c == spec.current_flag_col else f"s.{ident(c)}" for c in target_cols)
    current = f"SELECT 1 FROM {target} AS c WHERE {on} AND c.{flag} = TRUE"
    inserts = (f"SELECT {new} FROM {source} AS s WHERE NOT {deleted} AND "
               f"(NOT EXISTS ({current}) OR EXISTS ({current} AND ({changed})))")
    return f"{history} UNION ALL {inserts}"


def scd2_merge_predicate(d: Dialect, params: Mapping[str, Any]) -> str:
    """The MERGE condition applying :func:`scd2_sql` ``changes_only`` rows as ``source`` to ``target``: a
    closed version replaces the current one (update all); a new current row matches nothing (insert all)."""
    spec = Scd2.of(params)
    flag = d.ident(spec.current_flag_col)
    return f"{_keys(d, spec.keys, 'source', 'target')} AND target.{flag} = TRUE AND source.{flag} = FALSE"


def merge_sql(d: Dialect, params: Mapping[str, Any], *, source: str, source_cols: Sequence[str], target: str,
              target_cols: Sequence[str], where: str) -> str:
    """The whole target after a MERGE of ``source`` on ``keys`` with Odibi's clause order: a matched row is
    deleted when ``delete_condition`` holds (or, for ``delete_match``, always), else updated (upsert, when
    ``update_condition`` holds); an unmatched source row is inserted (not for ``delete_match``) when
    ``insert_condition`` holds. The conditions name the relations ``source`` and ``target``."""
    spec = Merge.of(params)
    _need(spec.keys, source_cols, "source", where)
    _need(spec.keys, target_cols, "existing target", where)
    clauses = merge_clauses(d, params, source_cols=source_cols, target_cols=target_cols, where=where)
    on = _keys(d, spec.keys, "source", "target")
    gone = " OR ".join(c for c in (clauses.delete, clauses.update) if c is not None) or "FALSE"
    kept = (f"SELECT {', '.join(f'target.{d.ident(c)}' for c in target_cols)} FROM {target} AS target "
            f"WHERE NOT EXISTS (SELECT 1 FROM {source} AS source WHERE {on} AND ({gone}))")
    parts = [kept]
    if clauses.update is not None:
        values = ", ".join(f"{clauses.set_values[c]} AS {d.ident(c)}" for c in target_cols)
        parts.append(f"SELECT {values} FROM {target} AS target JOIN {source} AS source ON {on} "
                     f"WHERE NOT ({clauses.delete or 'FALSE'}) AND {clauses.update}")
    if clauses.insert is not None:
        values = ", ".join(f"{clauses.insert_values[c]} AS {d.ident(c)}" for c in target_cols)
        parts.append(f"SELECT {values} FROM {source} AS source WHERE NOT EXISTS "
                     f"(SELECT 1 FROM {target} AS target WHERE {on}) AND {clauses.insert}")
    return " UNION ALL ".join(parts)


@dataclass(frozen=True, slots=True)
class Clauses:
    """A MERGE's clauses: conditions (None: no such clause) and the value of each target column."""

    predicate: str
    delete: str | None
    update: str | None
    insert: str | None
    set_values: Mapping[str, str]
    insert_values: Mapping[str, str]


def merge_clauses(d: Dialect, params: Mapping[str, Any], *, source_cols: Sequence[str],
                  target_cols: Sequence[str], where: str) -> Clauses:
    """The clauses of Odibi's merge, for an engine's own MERGE and for :func:`merge_sql`."""
    spec = Merge.of(params)
    if spec.strategy not in STRATEGIES:
        raise ExecutionError(f"{where}: unknown merge strategy '{spec.strategy}'; use one of {', '.join(STRATEGIES)}")
    ident = d.ident
    delete = (f"({spec.delete_condition})" if spec.delete_condition else
              "TRUE" if spec.strategy == "delete_match" else None)
    update = f"({spec.update_condition or 'TRUE'})" if spec.strategy == "upsert" else None
    insert = f"({spec.insert_condition or 'TRUE'})" if spec.strategy != "delete_match" else None
    missing = [c for c in target_cols if c not in source_cols and c not in spec.audit()]
    if missing and (update or insert):
        raise ExecutionError(f"{where}: the source has no column(s) {missing} of the existing target; "
                             "add them to the node's output or overwrite the target once")
    extra = [c for c in source_cols if c not in target_cols]
    if extra:
        raise ExecutionError(f"{where}: the source has column(s) {extra} the existing target does not; "
                             "drop them (select_columns) or overwrite the target once")

    def value(c: str, updating: bool) -> str:
        if c == spec.updated_col or (c == spec.created_col and not updating):
            return "CURRENT_TIMESTAMP"
        if c == spec.created_col:
            return f"target.{ident(c)}"
        return f"source.{ident(c)}"

    return Clauses(_keys(d, spec.keys, "source", "target"), delete, update, insert,
                   {c: value(c, True) for c in target_cols}, {c: value(c, False) for c in target_cols})


def _keys(d: Dialect, keys: Sequence[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{d.ident(k)} = {right}.{d.ident(k)}" for k in keys)


def _need(columns: Sequence[str], present: Sequence[str], what: str, where: str, hint: str = "") -> None:
    if missing := [c for c in dict.fromkeys(columns) if c not in present]:
        raise ExecutionError(f"{where}: column(s) {missing} are not in the {what} (columns: "
                             f"{', '.join(present)}){'; ' + hint if hint else ''}")
