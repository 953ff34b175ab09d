"""Shared pieces of the importers: rows that remember where they came from, the located project tree they
become (the loader's :class:`LocDict`/:class:`LocList`, so every later problem points at the source row),
and name slugs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._suggest import did_you_mean, known
from ..errors import Problem
from ..manifest.yaml_source import Loc, LocDict, LocList


@dataclass(frozen=True)
class Row:
    """One source record (a JSON object, a CSV line, a table row) and where it is: ``file`` and ``line``
    (the file line for JSON/CSV, the row number for a table)."""

    values: Mapping[str, Any]
    file: str
    line: int
    what: str = "row"  # how a message names the record: "row", "step"

    @property
    def loc(self) -> Loc:
        return (self.file, self.line)

    def problem(self, message: str, field_name: str = "", *, hint: str | None = None,
                code: str = "import") -> Problem:
        """A problem located at this row (and field)."""
        return Problem(message, path=field_name, file=self.file, line=self.line,
                       hint=hint, code=code)


@dataclass
class Collector:
    """The problems an importer found."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)


def located(value: Any, loc: Loc) -> Any:
    """``value`` as the loader's located tree: every mapping key and list item placed at ``loc``."""
    if isinstance(value, Mapping):
        out = LocDict(origin=loc)
        for key, item in value.items():
            out[key] = located(item, loc)
            out.locs[key] = loc
        return out
    if isinstance(value, (list, tuple)):
        items = LocList([located(item, loc) for item in value], origin=loc)
        items.locs.extend([loc] * len(items))
        return items
    return value


def check_fields(row: Row, known_fields: tuple[str, ...], sink: Collector) -> None:
    """An unknown column is refused at its row, with the closest known name."""
    for name in row.values:
        if name not in known_fields:
            sink.add(row.problem(f"unknown field '{name}'", name,
                                 hint=did_you_mean(name, known_fields) or f"known fields: {known(known_fields)}"))


def json_field(row: Row, name: str, sink: Collector, default: Any) -> Any:
    """A field holding JSON (a table or CSV cell as text, or already parsed in a JSON file)."""
    value = row.values.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str) and not isinstance(default, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            sink.add(row.problem(f"'{name}' is not valid JSON: {exc}", name,
                                 hint=f"write it as JSON, e.g. {json.dumps(default) or 'null'}"))
            return default
    return value


def flag(row: Row, name: str, sink: Collector, default: bool = True) -> bool:
    """A true/false field as JSON, CSV text ("true", "0", "no") or an SQL integer."""
    value = row.values.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "t"):
        return True
    if text in ("0", "false", "no", "n", "f"):
        return False
    sink.add(row.problem(f"'{name}' must be true or false, got {value!r}", name, hint="write true or false"))
    return default


_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


def slug(text: str) -> str:
    """A project/pipeline/node name from free text: ``"Sales Analytics"`` -> ``sales_analytics``."""
    name = _NOT_NAME.sub("_", str(text).strip()).strip("_").lower() or "unnamed"
    return name if not name[0].isdigit() else f"_{name}"


def module_ref(name: str, folder: Path) -> str:
    """A transforms module as the loader takes it: a dotted name that is a file beside the source becomes
    that file's relative path (the seed imported it from the project folder), anything else stays."""
    if name.endswith(".py"):
        return name
    relative = name.replace(".", "/") + ".py"
    return relative if (folder / relative).is_file() else name
