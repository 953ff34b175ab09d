"""Running validation on Spark (the tests and their SQL: :mod:`odibi_provider.engines.sql.validation`).

One aggregation counts the failing rows of every test (one scan). When a ``quarantine`` test failed,
the flags are added to the rows and the frame is split by filters (lazily: the split is computed when
the rows are written). Regular expressions are Java's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...plan.model import TestSpec
from ..base import ValidationOutcome
from ..sql.dialect import SPARK
from ..sql.validation import FAILED_COLUMN, Suite

__all__ = ["FAILED_COLUMN", "validate"]
Run = Callable[[str, Mapping[str, Any]], Any]  # (query, relations) -> DataFrame


def validate(frame: Any, tests: Sequence[TestSpec], run: Run, schema: Mapping[str, str], *,
             gated: bool = False) -> ValidationOutcome:
    """Run ``tests`` over ``frame`` (``schema``: column -> Spark type); rows failing a ``quarantine`` test
    move to ``quarantined``; ``gated`` also counts the rows failing any test."""
    suite = Suite.compile(SPARK, tests, schema, gated=gated)
    rows = suite.run(suite.count_query(), lambda query: run(query, {"df": frame}).collect())
    found = suite.scan(list(rows[0]))
    valid, quarantined = frame, None
    if found.moved:
        keep = suite.keep(frame.columns)
        flagged = run(suite.split_query(keep, found.counts), {"df": frame})
        valid = run(suite.side_query(keep, quarantined=False), {"df": flagged})
        quarantined = run(suite.side_query(keep, quarantined=True), {"df": flagged})
    return ValidationOutcome(tests=suite.outcomes(found.counts, found.total, found.aggregates), valid=valid,
                             quarantined=quarantined, quarantined_rows=found.moved, rows=found.total,
                             failing_rows=found.failing)
