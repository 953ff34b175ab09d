"""SQL written once for every engine: the dialects, the built-in transformers and the validation tests.

Standard library only: it writes SQL text and runs nothing, so it is cheap to import and test.
"""

from __future__ import annotations

from .dialect import DUCKDB, SPARK, Dialect, DuckDBDialect, SparkDialect

__all__ = ["DUCKDB", "SPARK", "Dialect", "DuckDBDialect", "SparkDialect"]
