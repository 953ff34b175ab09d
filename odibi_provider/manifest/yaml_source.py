"""Safe YAML loading that remembers where every key and list item came from.

Mappings load as :class:`LocDict` and sequences as :class:`LocList`; both keep the file and line of each
child, so any YAML path can be traced back to a ``file:line`` after files are merged. Only YAML's safe
tags are accepted: ``!!python/object`` and friends are errors, never executed. Nesting deeper than
:data:`MAX_DEPTH` and aliases that expand to more than :data:`MAX_ALIAS_VALUES` values (an "alias bomb")
are located errors, found while composing, before anything walks the expanded tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer, ComposerError

from ..errors import Problem

if TYPE_CHECKING:  # CSafeLoader has the same interface; one static base keeps the subclass below checked
    _BaseLoader = yaml.SafeLoader
else:
    try:  # libyaml's scanner is ~10x faster; the constructor below stays the safe one either way.
        _BaseLoader = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - PyYAML built without libyaml
        _BaseLoader = yaml.SafeLoader

Loc = tuple[str, int]  # (file, 1-based line)

MAX_DEPTH = 100  # nesting levels of mappings/lists (odibi projects use about eight)
MAX_ALIAS_VALUES = 100_000  # values aliases may produce, or 10x the values written when that is more


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


class YamlLimitError(yaml.MarkedYAMLError):
    """The document nests too deeply or its aliases expand too far; ``hint`` says how to fix it."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


class _LocatingLoader(_BaseLoader):
    """A safe loader that builds LocDict/LocList, records duplicate keys as problems and bounds the
    document's depth and alias expansion. It composes with PyYAML's composer on libyaml's events (as fast as
    libyaml's own composer, which recurses in C without a limit); ``compose_node`` is PyYAML's, counting."""

    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    compose_scalar_node = Composer.compose_scalar_node
    compose_sequence_node = Composer.compose_sequence_node
    compose_mapping_node = Composer.compose_mapping_node

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.anchors: dict[Any, yaml.Node] = {}
        self.file = file
        self.problems: list[Problem] = []
        self._depth = 0  # collections open around the node being composed
        self._deepest = 0  # the deepest level reached inside the current collection
        self._values = 0  # values the document expands to so far (aliases counted in full)
        self._repeated = 0  # of which produced by aliases
        self._anchored: dict[Any, tuple[int, int]] = {}  # anchor -> (values, nesting height) of its collection

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        anchor, start = event.anchor, event.start_mark
        if isinstance(event, yaml.AliasEvent):
            self.get_event()
            if anchor not in self.anchors:
                raise ComposerError(None, None, f"found undefined alias {anchor!r}", start)
            node = self.anchors[anchor]
            self._repeat(node, event)
            return node
        if anchor is not None and anchor in self.anchors:
            first = self.anchors[anchor].start_mark.line + 1
            raise ComposerError(None, None, f"duplicate anchor &{anchor} (the first is on line {first})", start)
        self.descend_resolver(parent, index)
        if isinstance(event, yaml.ScalarEvent):
            self._values += 1
            node = self.compose_scalar_node(anchor)
        else:
            node = self._compose_collection(event, anchor)
        self.ascend_resolver()
        return node

    def _compose_collection(self, event: yaml.Event, anchor: Any) -> yaml.Node:
        if self._depth >= MAX_DEPTH:
            raise YamlLimitError(f"the YAML nests deeper than {MAX_DEPTH} levels", event.start_mark,
                                 "flatten this structure; a project needs only a handful of levels")
        values, outer_deepest = self._values, self._deepest
        self._depth += 1
        self._deepest = self._depth
        if isinstance(event, yaml.SequenceStartEvent):
            node: yaml.Node = self.compose_sequence_node(anchor)
        else:
            node = self.compose_mapping_node(anchor)
        self._values += 1
        if anchor is not None:
            self._anchored[anchor] = (self._values - values, self._deepest - self._depth + 1)
        self._depth -= 1
        self._deepest = max(self._deepest, outer_deepest)
        return node

    def _repeat(self, node: yaml.Node, event: yaml.NodeEvent) -> None:
        """Count the values an alias repeats; refuse one that expands too far, too deep, or into itself."""
        if isinstance(node, yaml.ScalarNode):
            self._values += 1
            return
        if event.anchor not in self._anchored:
            raise YamlLimitError(f"alias *{event.anchor} refers to a node that contains it", event.start_mark,
                                 "an alias may only repeat a node that ends before it")
        size, height = self._anchored[event.anchor]
        self._values += size
        self._repeated += size
        limit = max(MAX_ALIAS_VALUES, 10 * (self._values - self._repeated))
        if self._repeated > limit:
            raise YamlLimitError(f"aliases expand to more than {limit:,} values (an alias bomb?)", event.start_mark,
                                 "write the repeated values out, or repeat smaller anchors fewer times")
        if self._depth + height > MAX_DEPTH:
            raise YamlLimitError(f"alias *{event.anchor} nests the YAML deeper than {MAX_DEPTH} levels",
                                 event.start_mark, "flatten the anchored structure")
        self._deepest = max(self._deepest, self._depth + height)

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
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem("file not found", file=file, code="file",
                              hint="check the path; relative paths start at the project file's folder")]
    except OSError as exc:
        return None, [Problem(f"cannot read the file: {exc}", file=file, code="file")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [_not_utf8(raw, exc, file)]
    loader = _LocatingLoader(text, file)
    try:
        data = loader.get_single_data()
    except YamlLimitError as exc:
        mark = exc.problem_mark
        return None, [Problem(exc.problem or "the YAML is too large", file=file,
                              line=mark.line + 1 if mark else None, code="yaml", hint=exc.hint)]
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


def _not_utf8(raw: bytes, exc: UnicodeDecodeError, file: str) -> Problem:
    """The line and column of the first byte that is not UTF-8."""
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    column = len(raw[line_start:exc.start].decode("utf-8", errors="replace")) + 1
    byte = raw[exc.start:exc.start + 1].hex()
    return Problem(f"the file is not UTF-8: byte 0x{byte} at column {column} cannot be decoded",
                   file=file, line=raw.count(b"\n", 0, exc.start) + 1, code="file",
                   hint="save the file as UTF-8 (it may be latin-1 or cp1252)")


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
