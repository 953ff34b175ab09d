"""The Spark engine (``engine: spark``): a SparkSession (local, a cluster, or Spark Connect) and Delta Lake.

``configure_spark(master=..., remote=..., conf=..., session=...)`` sets the process's session; without
it the engine reads ``ODIBI_SPARK_MASTER``, ``ODIBI_SPARK_REMOTE`` and ``ODIBI_SPARK_CONF``. Importing
this package loads no pyspark; the session starts on the first node that needs it.
"""

from __future__ import annotations

from .engine import SparkEngine
from .session import (
    SparkSettings,
    configure_spark,
    delta_conf,
    get_spark,
    settings_from_env,
    stop_spark,
    use_project_settings,
)

__all__ = [
    "SparkEngine",
    "SparkSettings",
    "configure_spark",
    "delta_conf",
    "get_spark",
    "settings_from_env",
    "stop_spark",
    "use_project_settings",
]
