"""The Spark engine on the shared sessions of ``tests/engines/conftest.py``.

``engine`` runs a test on both backends (``sail``: Spark Connect, Delta; ``jvm``: classic local Spark,
no Delta because its jars come from Maven); ``sail_engine`` / ``jvm_engine`` pick one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engines.conftest import JDBC_JARS, spark_engine

pytest.importorskip("pyspark")
__all__ = ["JDBC_JARS"]


@pytest.fixture(params=["sail", "jvm"])
def engine(request: pytest.FixtureRequest) -> Any:
    """The Spark engine on one backend (the test runs once per backend)."""
    return spark_engine(request.getfixturevalue(f"{request.param}_session"))


@pytest.fixture
def sail_engine(sail_session: Any) -> Any:
    return spark_engine(sail_session)


@pytest.fixture
def jvm_engine(jvm_session: Any) -> Any:
    return spark_engine(jvm_session)


@pytest.fixture
def lake(tmp_path: Path) -> Any:
    """A local connection rooted at ``tmp_path/lake``."""
    from odibi_provider.connections.local import LocalConnection

    return LocalConnection("lake", "lake", tmp_path)
