"""The embedded engine (``engine: pandas``): DuckDB over Arrow tables; needs the ``pandas`` extra."""

from __future__ import annotations

from ...extras import require

require("duckdb", purpose="the embedded engine (engine: pandas)")
require("pyarrow", purpose="the embedded engine (engine: pandas)")

from .engine import EmbeddedEngine  # noqa: E402

__all__ = ["EmbeddedEngine"]
