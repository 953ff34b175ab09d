"""Checking built-in transformer params, shared by every engine's SQL builders (standard library only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from .._suggest import did_you_mean, known
from ..errors import ExecutionError


def unknown(kind: str, name: str, choices: Sequence[str], where: str) -> str:
    """"unknown column 'x'; did you mean 'y'?; columns of df: ..." for error messages."""
    hint = did_you_mean(name, choices)
    return f"unknown {kind} '{name}'" + (f"; {hint}" if hint else "") + f"; {where}: {known(choices)}"


@dataclass(frozen=True)
class Params:
    """A transformer's params plus the columns it may name; every accessor fails with a clear message."""

    transformer: str
    params: Mapping[str, Any]
    columns: list[str]
    relations: Mapping[str, Sequence[str]]

    def fail(self, param: str, problem: str) -> NoReturn:
        raise ExecutionError(f"transformer '{self.transformer}', param '{param}': {problem}")

    def text(self, key: str) -> str:
        if not isinstance(value := self.params.get(key), str) or not value.strip():
            self.fail(key, f"expected a non-empty SQL string, got {value!r}")
        return value

    def names(self, key: str, *, allow_empty: bool = False) -> list[str]:
        """A string or a list of strings."""
        items = [value] if isinstance(value := self.params.get(key), str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) and v for v in items):
            self.fail(key, f"expected a name or a list of names, got {value!r}")
        if not items and not allow_empty:
            self.fail(key, "expected at least one name, got an empty list")
        return list(items)

    def column_list(self, key: str, *, of: Sequence[str] | None = None, allow_empty: bool = False) -> list[str]:
        # names resolve case-insensitively, as DuckDB does
        return [self.column(name, key, of=of) for name in self.names(key, allow_empty=allow_empty)]

    def column(self, name: str, key: str, *, of: Sequence[str] | None = None, where: str = "df") -> str:
        available = self.columns if of is None else list(of)
        if (found := {c.lower(): c for c in available}.get(name.lower())) is None:
            self.fail(key, unknown("column", name, available, f"columns of {where}"))
        return found

    def mapping(self, key: str, *, values: type | tuple[type, ...] | None = str) -> dict[str, Any]:
        value = self.params.get(key)
        what = "names to SQL text" if values is str else "names to values"
        if not isinstance(value, Mapping) or not value or not all(isinstance(k, str) and k for k in value):
            self.fail(key, f"expected a non-empty mapping of {what}, got {value!r}")
        if bad := [k for k, v in value.items() if values is not None and not isinstance(v, values)]:
            self.fail(key, f"expected a mapping of {what}; '{bad[0]}' maps to {value[bad[0]]!r}")
        return dict(value)

    def flag(self, key: str, default: bool) -> bool:
        if not isinstance(value := self.params.get(key, default), bool):
            self.fail(key, f"expected true or false, got {value!r}")
        return value

    def relation(self, name: str, key: str) -> list[str]:
        """The columns of relation ``name`` (an input or upstream node)."""
        if name not in self.relations:
            self.fail(key, unknown("dataset", name, list(self.relations), "datasets available"))
        return list(self.relations[name])
