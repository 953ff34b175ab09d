"""Spark sessions for every engine test folder, started once per test session and shared.

``sail_session``: a Spark Connect session on a Sail server (Delta included, no JVM); ``jvm_session``: a
classic local Spark session (no Delta: its jars come from Maven). ``spark_engine(session)`` is the Spark
engine on one of them, switched with ``configure_spark(session=...)`` as a host would inject its own.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

JDBC_JARS = ("/usr/share/java/sqlite-jdbc.jar", "/usr/share/java/postgresql.jar")
TEST_CONF = {
    "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1", "spark.sql.session.timeZone": "UTC",
    # a test-only JVM: C1 compiler and serial GC start a local session in ~10 s instead of ~30 s on 2 cores
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.level=ERROR",
}


def _java_home() -> str | None:
    for candidate in [os.environ.get("JAVA_HOME", ""), *sorted(glob.glob("/usr/lib/jvm/*17*"))]:
        if candidate and Path(candidate, "bin", "java").is_file() and "17" in candidate:
            return candidate
    return os.environ.get("JAVA_HOME") or (str(Path(shutil.which("java")).resolve().parents[1])
                                           if shutil.which("java") else None)


@pytest.fixture(scope="session")
def sail_session() -> Iterator[Any]:
    """A Spark Connect session on a Sail server listening on a free loopback port."""
    pytest.importorskip("pyspark")
    pysail = pytest.importorskip("pysail.spark")
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    server = pysail.SparkConnectServer("127.0.0.1", 0)
    server.start(background=True)
    _, port = server.listening_address
    session = ConnectSession.builder.remote(f"sc://127.0.0.1:{port}").create()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    yield session
    session.stop()
    server.stop()


@pytest.fixture(scope="session")
def jvm_session() -> Iterator[Any]:
    """A classic local Spark session (JDK 17, loopback only, no UI, one shuffle partition)."""
    pytest.importorskip("pyspark")
    home = _java_home()
    if home is None:
        pytest.skip("no JDK found for the local Spark session")
    os.environ["JAVA_HOME"] = home
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[1]").appName("odibi-tests")
    jars = [j for j in JDBC_JARS if Path(j).is_file()]
    conf = {**TEST_CONF, **({"spark.jars": ",".join(jars)} if jars else {})}
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    _shutdown_gateway()


def _shutdown_gateway() -> None:
    """Close py4j's gateway now, while logging still works (at interpreter exit it logs into closed streams)."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        SparkContext._gateway = None
        SparkContext._jvm = None


def spark_engine(session: Any) -> Any:
    """The process's Spark engine, now running on ``session``."""
    from odibi_provider.engines import get_engine
    from odibi_provider.engines.spark import configure_spark

    configure_spark(session=session)
    return get_engine("spark")
