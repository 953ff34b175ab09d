"""The statements that apply ``write.mode`` merge / scd2 inside a SQL database (standard library only).

The node's rows are first loaded into a staging table in the write's transaction (``stage``, aliased
``source``; the existing table is aliased ``target``). The statements then run set-based in the database: a
merge is UPDATE ... FROM then INSERT ... WHERE NOT EXISTS; where one statement would change what a later one
sees (a merge with a delete clause, SCD2), each staged row is first marked with the action it takes against the
target as it stood (``_odibi_action``). PostgreSQL and SQLite use ``INSERT ... ON CONFLICT`` for an
unconditional merge when the merge keys are a unique key; SQL Server runs one ``MERGE``. Each database is one
:class:`TargetSql` subclass overriding only what it spells differently.
Clause conditions and values come from :func:`.sql.scd.merge_clauses`, SCD2's params from :class:`.sql.scd.Scd2`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

from .sql.dialect import Dialect
from .sql.scd import Clauses, Scd2

ACTION = "_odibi_action"
DELETE, UPDATE, INSERT, CLOSE, CLOSE_AND_INSERT = "D", "U", "I", "C", "N"
_ALWAYS = ("TRUE", "(TRUE)")


@dataclass(frozen=True, slots=True)
class Statements:
    """What a write runs, in order: ``mark`` (on the staging table; None: nothing to mark), then ``changes``
    (on the target; their row counts are the rows written)."""

    mark: str | None
    changes: tuple[str, ...]


class TargetSql:
    """Standard SQL as PostgreSQL runs it; a database that spells a statement differently overrides it."""

    name: ClassVar[str] = "postgresql"
    true: ClassVar[str] = "TRUE"
    false: ClassVar[str] = "FALSE"
    quote: ClassVar[Dialect] = Dialect()  # double-quoted identifiers, as every supported database reads them

    def ident(self, name: str) -> str:
        return self.quote.ident(name)

    def is_true(self, expr: str) -> str:
        """``expr`` (a nullable boolean) as a condition, null meaning false."""
        return f"COALESCE({expr}, {self.false})"

    def timestamp(self, expr: str, type_name: str, from_date: bool) -> str:
        """``expr`` as a value of the timestamp column type ``type_name``."""
        return f"CAST({expr} AS {type_name})"

    def mark(self, stage: str, cases: Sequence[tuple[str, str]]) -> str:
        """Set each staged row's action: the first ``(condition, action SQL)`` that holds, else null."""
        return f"UPDATE {stage} AS source SET {self.ident(ACTION)} = {_case(cases)}"

    def update(self, table: str, stage: str, on: str, sets: Sequence[tuple[str, str]], condition: str) -> str:
        """UPDATE the target rows matching (``on``) staged rows for which ``condition`` holds."""
        assignments = ", ".join(f"{self.ident(c)} = {v}" for c, v in sets)
        return f"UPDATE {table} AS target SET {assignments} FROM {stage} AS source WHERE {on} AND {condition}"

    def delete(self, table: str, stage: str, on: str, actions: str) -> str:
        return (f"DELETE FROM {table} AS target WHERE EXISTS "
                f"(SELECT 1 FROM {stage} AS source WHERE {on} AND {self._action_in(actions)})")

    def insert(self, table: str, stage: str, values: Sequence[tuple[str, str]], condition: str) -> str:
        names = ", ".join(self.ident(c) for c, _ in values)
        return (f"INSERT INTO {table} ({names}) SELECT {', '.join(v for _, v in values)} "
                f"FROM {stage} AS source WHERE {condition}")

    def on_conflict(self, table: str, stage: str, keys: Sequence[str], values: Sequence[tuple[str, str]],
                    sets: Sequence[tuple[str, str]] | None) -> str:
        """INSERT every staged row; a row whose keys exist updates ``sets`` (None: is skipped)."""
        names = ", ".join(self.ident(c) for c, _ in values)
        action = "DO NOTHING" if not sets else "DO UPDATE SET " + ", ".join(
            f"{self.ident(c)} = {_excluded(v)}" for c, v in sets)
        return (f"INSERT INTO {table} AS target ({names}) SELECT {', '.join(v for _, v in values)} "
                f"FROM {stage} AS source WHERE TRUE "
                f"ON CONFLICT ({', '.join(self.ident(k) for k in keys)}) {action}")

    def merge(self, table: str, stage: str, columns: Sequence[str], keys: Sequence[str], clauses: Clauses,
              unique_keys: bool) -> Statements:
        """Odibi's merge: matched rows deleted when ``delete`` holds, else updated when ``update`` holds;
        unmatched rows inserted when ``insert`` holds; each decided against the target as it stood (without a
        delete clause an UPDATE then an INSERT ... WHERE NOT EXISTS; with one, staged rows are marked first)."""
        sets = [(c, clauses.set_values[c]) for c in columns if c not in keys]
        values = [(c, clauses.insert_values[c]) for c in columns]
        if unique_keys and clauses.delete is None and clauses.insert in _ALWAYS and clauses.update in (None, *_ALWAYS):
            return Statements(None, (self.on_conflict(table, stage, keys, values, sets if clauses.update else None),))
        matched = f"SELECT 1 FROM {table} AS target WHERE {clauses.predicate}"
        if clauses.delete is None:  # updates keep keys, so NOT EXISTS still sees the target as it stood
            statements = []
            if clauses.update is not None and sets:
                statements.append(self.update(table, stage, clauses.predicate, sets, clauses.update))
            if clauses.insert is not None:
                statements.append(self.insert(table, stage, values, f"NOT EXISTS ({matched}) AND {clauses.insert}"))
            return Statements(None, tuple(statements))
        cases = [(f"EXISTS ({matched} AND {condition})", f"'{action}'")
                 for condition, action in ((clauses.delete, DELETE), (clauses.update, UPDATE)) if condition]
        cases.append((f"EXISTS ({matched})", "NULL"))
        if clauses.insert is not None:
            cases.append((clauses.insert, f"'{INSERT}'"))
        statements = [self.delete(table, stage, clauses.predicate, DELETE)]
        if clauses.update is not None and sets:
            statements.append(self.update(table, stage, clauses.predicate, sets, self._action_in(UPDATE)))
        if clauses.insert is not None:
            statements.append(self.insert(table, stage, values, self._action_in(INSERT)))
        return Statements(self.mark(stage, cases), tuple(statements))

    def scd2(self, table: str, stage: str, columns: Sequence[str], spec: Scd2, end_type: str,
             from_date: bool) -> Statements:
        """Close the current versions whose tracked columns changed (or whose ``delete_col`` is set) at the
        source's effective time, then insert new keys and changed rows as current versions."""
        ident = self.ident
        on = " AND ".join(f"source.{ident(k)} = target.{ident(k)}" for k in spec.keys)
        flag = ident(spec.current_flag_col)
        current = f"SELECT 1 FROM {table} AS target WHERE {on} AND target.{flag} = {self.true}"
        changed = " OR ".join(f"source.{ident(c)} IS DISTINCT FROM target.{ident(c)}"
                              for c in spec.track_cols) or self.false
        deleted = self.is_true(f"source.{ident(spec.delete_col)}") if spec.delete_col else None
        cases = [(deleted, f"CASE WHEN EXISTS ({current}) THEN '{CLOSE}' END")] if deleted else []
        cases += [(f"NOT EXISTS ({current})", f"'{INSERT}'"),
                  (f"EXISTS ({current} AND ({changed}))", f"'{CLOSE_AND_INSERT}'")]
        end = self.timestamp(f"source.{ident(spec.effective_time_col)}", end_type, from_date)
        values = [(c, "NULL" if c == spec.end_time_col else self.true if c == spec.current_flag_col
                   else f"source.{ident(c)}") for c in columns]
        return Statements(self.mark(stage, cases), (
                self.update(table, stage, f"{on} AND target.{flag} = {self.true}",
                            [(spec.end_time_col, end), (spec.current_flag_col, self.false)],
                            self._action_in(CLOSE + CLOSE_AND_INSERT)),
                self.insert(table, stage, values, self._action_in(INSERT + CLOSE_AND_INSERT))))

    def _action_in(self, actions: str) -> str:
        return f"source.{self.ident(ACTION)} IN ({', '.join(repr(a) for a in actions)})"


class SqliteSql(TargetSql):
    """SQLite (3.33+: UPDATE ... FROM): timestamps are text in SQLAlchemy's format."""

    name = "sqlite"

    def timestamp(self, expr: str, type_name: str, from_date: bool) -> str:
        return f"({expr} || ' 00:00:00.000000')" if from_date else expr


class MssqlSql(TargetSql):
    """SQL Server: one ``MERGE`` statement; no boolean literals; UPDATE names its alias in FROM."""

    name = "mssql"
    true = "1"
    false = "0"

    def is_true(self, expr: str) -> str:
        return f"COALESCE({expr}, 0) = 1"

    def mark(self, stage: str, cases: Sequence[tuple[str, str]]) -> str:
        return f"UPDATE source SET {self.ident(ACTION)} = {_case(cases)} FROM {stage} AS source"

    def update(self, table: str, stage: str, on: str, sets: Sequence[tuple[str, str]], condition: str) -> str:
        assignments = ", ".join(f"{self.ident(c)} = {v}" for c, v in sets)
        return (f"UPDATE target SET {assignments} FROM {table} AS target JOIN {stage} AS source ON {on} "
                f"WHERE {condition}")

    def merge(self, table: str, stage: str, columns: Sequence[str], keys: Sequence[str], clauses: Clauses,
              unique_keys: bool) -> Statements:
        parts = [f"MERGE INTO {table} AS target USING {stage} AS source ON {clauses.predicate}"]
        if clauses.delete is not None:
            parts.append(f"WHEN MATCHED{_and(clauses.delete)} THEN DELETE")
        sets = [c for c in columns if c not in keys]
        if clauses.update is not None and sets:
            parts.append(f"WHEN MATCHED{_and(clauses.update)} THEN UPDATE SET "
                         + ", ".join(f"{self.ident(c)} = {clauses.set_values[c]}" for c in sets))
        if clauses.insert is not None:
            parts.append(f"WHEN NOT MATCHED BY TARGET{_and(clauses.insert)} THEN INSERT "
                         f"({', '.join(self.ident(c) for c in columns)}) "
                         f"VALUES ({', '.join(clauses.insert_values[c] for c in columns)})")
        return Statements(None, (" ".join(parts) + ";",))


DATABASES: Mapping[str, TargetSql] = MappingProxyType({d.name: d for d in (TargetSql(), SqliteSql(), MssqlSql())})


def for_database(name: str) -> TargetSql:
    """The statements for the SQLAlchemy dialect ``name``; another database gets standard SQL."""
    return DATABASES.get(name, DATABASES["postgresql"])


def _case(cases: Sequence[tuple[str, str]]) -> str:
    whens = " ".join(f"WHEN {condition} THEN {action}" for condition, action in cases)
    return f"CASE {whens} END"


def _and(condition: str) -> str:
    return "" if condition in _ALWAYS else f" AND {condition}"


def _excluded(value: str) -> str:
    """A merge value naming ``source.`` as the row proposed for insertion (ON CONFLICT's ``EXCLUDED``)."""
    return "EXCLUDED." + value[len("source."):] if value.startswith("source.") else value
