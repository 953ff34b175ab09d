"""Small helpers for the Spark engine tests: frames from Python rows, rows back as sorted tuples."""

from __future__ import annotations

from typing import Any


def frame(engine: Any, columns: dict[str, list[Any]]) -> Any:
    """A Spark DataFrame of ``columns`` (built through Arrow, as functions' pandas output is)."""
    import pyarrow as pa

    from odibi_provider.engines.spark.convert import from_arrow

    return from_arrow(engine.session, pa.table(columns))


def rows(engine: Any, data: Any) -> list[tuple[Any, ...]]:
    """Every row as a tuple, sorted (Spark promises no order without ORDER BY)."""
    return sorted((tuple(r.values()) for r in engine.sample(data, 10_000)), key=repr)


def ordered(engine: Any, data: Any) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in engine.sample(data, 10_000)]
