"""The process-wide SparkSession of the Spark engine: injected, or built once from settings.

Settings come from :func:`configure_spark` when it was called, else from the environment:
``ODIBI_SPARK_MASTER`` (``local[*]``, ``spark://host:7077``, ``yarn``), ``ODIBI_SPARK_REMOTE`` (Spark
Connect, ``sc://host:15002``) and ``ODIBI_SPARK_CONF`` (a JSON object of Spark settings). With none of
them, a session that already runs in the process (a Databricks notebook, ``spark-submit``) is used, else
a local one (``local[*]``) is started. Nothing here runs at import time.

Delta Lake on a JVM session needs the delta-spark jars: on Databricks they are there; elsewhere pass
:func:`delta_conf` as ``conf`` (the jars then come from Maven when the session starts).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import ExecutionError
from ...extras import require

ENV_MASTER = "ODIBI_SPARK_MASTER"
ENV_REMOTE = "ODIBI_SPARK_REMOTE"
ENV_CONF = "ODIBI_SPARK_CONF"
DEFAULT_MASTER = "local[*]"
APP_NAME = "odibi"
# Timestamps are shown and cast in UTC unless the project says otherwise (DuckDB's are zone-less).
DEFAULT_CONF: Mapping[str, str] = {"spark.sql.session.timeZone": "UTC"}
DELTA_EXTENSIONS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


@dataclass(frozen=True)
class SparkSettings:
    """How to get the session: ``remote`` (Spark Connect) or ``master`` (a JVM session), plus ``conf``."""

    master: str | None = None
    remote: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.master and self.remote:
            raise ExecutionError(f"spark settings: give either master ({self.master!r}) or remote "
                                 f"({self.remote!r}), not both")


class _State:
    """The process's session and where it came from (guarded by ``lock``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.settings: SparkSettings | None = None
        self.session: Any = None
        self.owned = False  # odibi started the session, so stop_spark() may stop it


_STATE = _State()


def configure_spark(master: str | None = None, remote: str | None = None, conf: Mapping[str, Any] | None = None,
                    session: Any = None) -> None:
    """Set the Spark engine's session for this process: build it from ``master``/``remote`` + ``conf``
    on first use, or use ``session`` as it is (e.g. dagster-pyspark's ``PySparkResource.spark_session``).

    Replaces earlier settings; a session odibi had started is stopped first.
    """
    settings = SparkSettings(master, remote, {str(k): _conf_value(v) for k, v in (conf or {}).items()})
    with _STATE.lock:
        stop_spark()
        _STATE.settings = settings
        _STATE.session = session


def use_project_settings(master: str | None = None, remote: str | None = None,
                         conf: Mapping[str, Any] | None = None, delta: str | None = None) -> None:
    """A project's ``spark:`` block. Precedence: :func:`configure_spark` (or an injected session, e.g. from
    Dagster's PySparkResource) > ``ODIBI_SPARK_*`` environment variables > the project > ``local[*]``."""
    with _STATE.lock:
        if _STATE.settings is not None or _STATE.session is not None:
            return
        from_env = settings_from_env()
        if from_env.master or from_env.remote or from_env.conf:
            return
        merged = {**(delta_conf() if delta == "pip" else {}), **(conf or {})}
        _STATE.settings = SparkSettings(master, remote, {str(k): _conf_value(v) for k, v in merged.items()})


def settings_from_env(environ: Mapping[str, str] | None = None) -> SparkSettings:
    """The settings named by ``ODIBI_SPARK_MASTER``, ``ODIBI_SPARK_REMOTE`` and ``ODIBI_SPARK_CONF``."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_CONF, "").strip()
    conf: dict[str, str] = {}
    if raw:
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ExecutionError(f"{ENV_CONF} is not valid JSON ({exc.msg} at character {exc.pos}); set it to an "
                                 'object such as {"spark.sql.shuffle.partitions": "8"}') from None
        if not isinstance(parsed, dict):
            raise ExecutionError(f'{ENV_CONF} must be a JSON object such as {{"spark.executor.memory": "4g"}}, '
                                 f"got {type(parsed).__name__}")
        conf = {str(k): _conf_value(v) for k, v in parsed.items()}
    return SparkSettings(env.get(ENV_MASTER) or None, env.get(ENV_REMOTE) or None, conf)


def get_spark() -> Any:
    """The engine's SparkSession, created on first use (thread-safe)."""
    with _STATE.lock:
        if _STATE.session is not None and not _stopped(_STATE.session):
            return _STATE.session
        settings = _STATE.settings or settings_from_env()
        session = None if settings.master or settings.remote else _active_session()
        if session is None:
            session = build_session(settings)
            _STATE.owned = True
        _STATE.session = session
        return session


def build_session(settings: SparkSettings) -> Any:
    """A new (or the matching running) SparkSession for ``settings``."""
    require("pyspark", extra="spark", purpose="the spark engine (engine: spark)")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(APP_NAME)
    if settings.remote:
        require("pyspark.sql.connect.session", extra="spark",
                purpose=f"Spark Connect ({settings.remote}); it needs pyspark[connect]")
        builder = builder.remote(settings.remote)
    else:
        builder = builder.master(settings.master or DEFAULT_MASTER)
    for key, value in {**DEFAULT_CONF, **settings.conf}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:
        where = settings.remote or settings.master or DEFAULT_MASTER
        raise ExecutionError(f"cannot start a Spark session ({where}): {first_line(exc)}; check "
                             f"{ENV_MASTER}/{ENV_REMOTE}, JAVA_HOME (a JDK 17) and the Spark settings") from exc


def stop_spark() -> None:
    """Stop the session odibi started (an injected or pre-existing session is left running) and forget it."""
    with _STATE.lock:
        if _STATE.session is not None and _STATE.owned:
            with contextlib.suppress(Exception):  # stopping is best effort
                _STATE.session.stop()
        _STATE.session, _STATE.owned = None, False


def is_connect(session: Any) -> bool:
    """True for a Spark Connect session (lazy SQL, no JVM in this process)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def delta_conf(extra_packages: tuple[str, ...] = ()) -> dict[str, str]:
    """Spark settings that load Delta Lake from Maven at session start (where Maven is reachable):
    ``configure_spark(master="local[*]", conf=delta_conf())``; the same as delta-spark's
    ``configure_spark_with_delta_pip`` plus the Delta SQL extension and catalog.
    """
    from importlib.metadata import version

    pyspark = require("pyspark", extra="spark")
    try:
        delta_version = version("delta-spark")
    except Exception as exc:
        raise ExecutionError("delta-spark is not installed; install it with: "
                             "pip install 'odibi-provider[spark]'") from exc
    spark = ".".join(pyspark.__version__.split(".")[:2])
    packages = ",".join((f"io.delta:delta-spark_{spark}_2.13:{delta_version}", *extra_packages))
    return {"spark.jars.packages": packages, **DELTA_EXTENSIONS}


def first_line(exc: BaseException) -> str:
    """The first meaningful line of an exception (Spark errors carry JVM stack traces)."""
    for line in str(exc).strip().splitlines():
        line = line.strip().removeprefix(": ").strip()
        if line and not line.startswith("An error occurred while calling"):
            return line
    return type(exc).__name__


def _active_session() -> Any:
    """A session already running in this process (Databricks, spark-submit), if any."""
    try:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    active = SparkSession.getActiveSession()
    if active is None and SparkContext._active_spark_context is not None:  # started in another thread
        active = SparkSession.builder.getOrCreate()
    return active


def _stopped(session: Any) -> bool:
    if is_connect(session):
        return bool(getattr(getattr(session, "client", None), "is_closed", False))
    context = getattr(session, "_sc", None)
    return context is not None and getattr(context, "_jsc", None) is None


def _conf_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
