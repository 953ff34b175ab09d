"""Safe YAML loading that remembers where every key and list item came from.

Mappings load as :class:`LocDict` and sequences as :class:`LocList`; both keep the file and line of each
child, so any YAML path can be traced back to a ``file:line`` after files are merged. Only YAML's safe
tags are accepted: ``!!python/object`` and friends are errors, never executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import Problem

if TYPE_CHECKING:  # CSafeLoader has the same interface; one static base keeps the subclass below checked
    _BaseLoader = yaml.SafeLoader
else:
    try:  # libyaml's scanner is ~10x faster; the constructor below stays the safe one either way.
        _BaseLoader = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - PyYAML built without libyaml
        _BaseLoader = yaml.SafeLoader

Loc = tuple[str, int]  # (file, 1-based line)


class LocDict(dict):
    """A dict that knows the file and line of each of its keys."""

    __slots__ = ("locs", "origin")

    def __init__(self, *args: Any, origin: Loc | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locs: dict[Any, Loc] = {}
        self.origin = origin


class LocList(list):
    """A list that knows the file and line of each of its items."""

    __slots__ = ("locs", "origin")

    def __init__(self, *args: Any, origin: Loc | None = None) -> None:
        super().__init__(*args)
        self.locs: list[Loc | None] = []
        self.origin = origin


class _LocatingLoader(_BaseLoader):
    """A safe loader that builds LocDict/LocList and records duplicate keys as problems."""

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.problems: list[Problem] = []

    def _loc(self, node: yaml.Node) -> Loc:
        return (self.file, node.start_mark.line + 1)

    def construct_loc_map(self, node: yaml.MappingNode) -> LocDict:
        self.flatten_mapping(node)
        result = LocDict(origin=self._loc(node))
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                self.problems.append(
                    Problem("a mapping key must be a plain scalar", file=self.file,
                            line=key_node.start_mark.line + 1, code="yaml")
                )
                continue
            if key in result:
                self.problems.append(
                    Problem(f"duplicate key '{key}' (the first is on line {result.locs[key][1]})",
                            file=self.file, line=key_node.start_mark.line + 1, code="yaml",
                            hint="remove one of them; YAML would silently keep only the last")
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.locs[key] = self._loc(key_node)
        return result

    def construct_loc_seq(self, node: yaml.SequenceNode) -> LocList:
        result = LocList(origin=self._loc(node))
        for child in node.value:
            result.append(self.construct_object(child, deep=True))
            result.locs.append(self._loc(child))
        return result


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _LocatingLoader.construct_loc_map)
_LocatingLoader.add_constructor("tag:yaml.org,2002:seq", _LocatingLoader.construct_loc_seq)


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Load one YAML file safely; return its data (LocDict/LocList) and the problems found."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem("file not found", file=file, code="file",
                              hint="check the path; relative paths start at the project file's folder")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(f"cannot read the file: {exc}", file=file, code="file")]
    loader = _LocatingLoader(text, file)
    try:
        data = loader.get_single_data()
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        tag = (exc.problem or "").replace("could not determine a constructor for the tag", "").strip()
        return None, [Problem(f"unsupported YAML tag {tag}: only plain YAML is allowed",
                              file=file, line=mark.line + 1 if mark else None, code="yaml",
                              hint="odibi reads YAML with safe_load; remove the tag and write plain values")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(f"invalid YAML: {reason}", file=file,
                              line=mark.line + 1 if mark else None, code="yaml",
                              hint="check indentation and quoting around this line")]
    finally:
        loader.dispose()
    return data, loader.problems


def locate(data: Any, path: tuple[Any, ...]) -> Loc | None:
    """The file and line of the deepest part of ``path`` that exists in ``data``."""
    found: Loc | None = getattr(data, "origin", None)
    current = data
    for segment in path:
        if isinstance(current, LocDict) and segment in current:
            found = current.locs.get(segment, found)
            current = current[segment]
        elif isinstance(current, LocList) and isinstance(segment, int) and 0 <= segment < len(current):
            found = current.locs[segment] or found
            current = current[segment]
        else:
            break
    return found


def format_path(path: tuple[Any, ...]) -> str:
    """``('pipelines', 1, 'nodes', 3, 'write')`` -> ``pipelines[1].nodes[3].write``."""
    out = ""
    for segment in path:
        if isinstance(segment, int):
            out += f"[{segment}]"
        else:
            out += f".{segment}" if out else str(segment)
    return out
