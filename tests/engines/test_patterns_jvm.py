"""The dimensional pattern tests (star schema: SCD1/SCD0 dimensions, date dimension, facts with the unknown
member; SCD2 dimension history with the fact taking the current key) on a classic JVM Spark session, beside
the embedded engine and Sail in ``tests/patterns/test_dimensional.py``: the same test bodies, the Spark engine
switched to this folder's shared JVM session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engines.conftest import spark_engine
from tests.patterns.test_dimensional import (
    test_scd2_dimension_keeps_history_and_facts_take_the_current_key,
    test_star_schema_builds_keys_unknown_members_calendar_and_facts,
)

__all__ = ["test_scd2_dimension_keeps_history_and_facts_take_the_current_key",
           "test_star_schema_builds_keys_unknown_members_calendar_and_facts"]


@pytest.fixture
def engine(jvm_session: Any) -> str:
    """The project's engine name, with the Spark engine running on the JVM session."""
    spark_engine(jvm_session)
    return "spark"
