"""FrozenMap: an immutable, hashable mapping for the Plan's options and params."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping; nested dicts and lists are frozen too (to FrozenMap and tuple)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = {k: freeze(v) for k, v in (data or {}).items()}
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted((k, _hashable(v)) for k, v in self._data.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def thaw(self) -> dict[str, Any]:
        """A plain, mutable, JSON-ready copy."""
        return {k: thaw(v) for k, v in self._data.items()}


EMPTY = FrozenMap()


def freeze(value: Any) -> Any:
    """Deep-freeze plain data: dict -> FrozenMap, list/tuple -> tuple."""
    if isinstance(value, FrozenMap):
        return value
    if isinstance(value, Mapping):
        return FrozenMap(value)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Deep-thaw frozen data back into dicts and lists."""
    if isinstance(value, FrozenMap):
        return value.thaw()
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (list, dict, set)) else value
