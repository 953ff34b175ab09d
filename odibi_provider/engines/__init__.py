"""Execution engines. ``get_engine(name)`` returns the one engine instance of this process for a name.

Importing this package loads no engine library; ``get_engine`` imports DuckDB / Arrow on first use.
"""

from __future__ import annotations

import threading

from .._suggest import did_you_mean, known
from ..errors import ExecutionError
from .base import Engine, TestOutcome, ValidationOutcome, WriteOutcome

ENGINE_NAMES = ("pandas", "spark")

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def get_engine(name: str) -> Engine:
    """The cached engine for a manifest engine name (``pandas`` is the embedded DuckDB/Arrow engine)."""
    engine = _engines.get(name)
    if engine is None:
        with _lock:
            engine = _engines.get(name)
            if engine is None:
                engine = _engines[name] = _create(name)
    return engine


def _create(name: str) -> Engine:
    if name == "pandas":
        from ..extras import require

        require("duckdb", purpose="the embedded engine (engine: pandas)")
        require("pyarrow", purpose="the embedded engine (engine: pandas)")
        from .embedded import EmbeddedEngine

        return EmbeddedEngine()
    if name == "spark":
        from ..extras import require

        require("pyspark", extra="spark", purpose="the spark engine (engine: spark)")
        from .spark import SparkEngine

        return SparkEngine()
    hint = did_you_mean(name, ENGINE_NAMES) or f"engines: {known(ENGINE_NAMES)}"
    raise ExecutionError(f"unknown engine '{name}'; {hint}")


__all__ = ["ENGINE_NAMES", "Engine", "TestOutcome", "ValidationOutcome", "WriteOutcome", "get_engine"]
