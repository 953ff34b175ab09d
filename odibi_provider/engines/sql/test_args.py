"""One validation test's spec and the data's schema while it compiles: typed args, columns resolved
case-insensitively, errors that name the test. Shared by the row-level and table-level test builders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ExecutionError
from ...plan.frozen import thaw
from ...plan.model import TestSpec
from ..params import unknown


class TestArgs:
    """One test's spec and the data's schema while it compiles; errors name the test."""

    def __init__(self, spec: TestSpec, schema: Mapping[str, str]) -> None:
        self.spec, self.schema = spec, schema

    def fail(self, problem: str) -> ExecutionError:
        return ExecutionError(f"validation test '{self.spec.name}' ({self.spec.type}): {problem}")

    def arg(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        if not isinstance(value := thaw(self.spec.args.get(key)), kind):
            raise self.fail(f"'{key}' must be {expected}, got {value!r}")
        return value

    def column(self, name: Any = None) -> str:
        name = self.arg("column", str, "a column name") if name is None else name
        exact = {c.lower(): c for c in self.schema}
        if not isinstance(name, str) or name.lower() not in exact:
            raise self.fail(unknown("column", str(name), list(self.schema), "columns of the data"))
        return exact[name.lower()]

    def columns(self) -> list[str]:
        names = self.spec.args.get("columns")
        names = [names] if isinstance(names, str) else self.arg("columns", (list, tuple), "a list of column names")
        if not names:
            raise self.fail("'columns' must name a column")
        return [self.column(n) for n in names]

    def bounds(self, text: bool = False) -> tuple[Any, Any]:
        """``min`` and ``max``: numbers (or, with ``text``, values such as dates written as text)."""
        low, high = self.spec.args.get("min"), self.spec.args.get("max")
        kinds = (int, float, str) if text else (int, float)
        for key, value in (("min", low), ("max", high)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
                raise self.fail(f"'{key}' must be a number, got {value!r}" + (" (or a value as text)" if text else ""))
        return low, high
