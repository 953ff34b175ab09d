"""Plan <-> JSON, driven by the dataclass type hints (no hand-written field lists to drift)."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import lru_cache
from typing import Any

from ..errors import OdibiError
from .frozen import FrozenMap
from .model import PLAN_FORMAT, Plan


def to_data(value: Any) -> Any:
    """Plain JSON-ready data from Plan objects."""
    if dataclasses.is_dataclass(value):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, FrozenMap):
        return value.thaw()
    if isinstance(value, tuple):
        return [to_data(v) for v in value]
    return value


def plan_to_json(plan: Plan, *, indent: int | None = None) -> str:
    return json.dumps(to_data(plan), indent=indent, sort_keys=indent is not None, default=str)


def plan_from_json(text: str) -> Plan:
    data = json.loads(text)
    if data.get("format") != PLAN_FORMAT:
        raise OdibiError(f"plan format {data.get('format')!r} is not supported (expected {PLAN_FORMAT}); "
                         "recompile the project")
    return _decode(Plan, data)


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        for option in options:
            if _fits(option, value):
                return _decode(option, value)
        return value
    if dataclasses.is_dataclass(annotation):
        hints = _hints(annotation)
        return annotation(**{k: _decode(hints[k], v) for k, v in value.items() if k in hints})
    if annotation is FrozenMap:
        return FrozenMap(value)
    if origin is tuple:
        args = typing.get_args(annotation)
        item = args[0] if args else Any
        return tuple(_decode(item, v) for v in value)
    return value


def _fits(annotation: Any, value: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    if dataclasses.is_dataclass(annotation) or annotation is FrozenMap:
        return isinstance(value, dict)
    if origin is tuple:
        return isinstance(value, list)
    if isinstance(origin, type):
        return isinstance(value, origin)
    return True
