"""RunContext: what one run shares across its nodes (run id, hooks, engines, connections, storage)."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..connections import open_connection
from ..engines import get_engine
from ..engines.base import Engine
from ..errors import OdibiError
from ..hooks.manager import HookManager
from ..manifest.substitution import Environment
from ..plan.model import Plan
from ..store import Store
from .performance import duckdb_settings

RetryOwner = Literal["local", "host"]


@dataclass(frozen=True, slots=True)
class Handoff:
    """A node's output kept in memory for its consumers in the same process, with the engine that made it
    (a consumer on another engine receives it through Arrow)."""

    engine: str
    frame: Any


RUN_ENGINES_KEPT = 4  # runs whose engine sessions a process keeps (a host process runs one at a time)
_run_engines: OrderedDict[tuple[str, ...], dict[str, Engine]] = OrderedDict()
_run_engines_lock = threading.Lock()


def engines_of_run(*key: str) -> dict[str, Engine]:
    """The engine sessions of the run identified by ``key`` in this process, shared by the RunContexts a host
    builds per step (Dagster's in-process executor): its steps reuse one DuckDB session instead of opening one
    each. Sessions of older runs are dropped (closed when unreferenced) once ``RUN_ENGINES_KEPT`` runs are newer."""
    with _run_engines_lock:
        engines = _run_engines.get(key)
        if engines is None:
            engines = _run_engines[key] = {}
            while len(_run_engines) > RUN_ENGINES_KEPT:
                _run_engines.popitem(last=False)
        return engines


def new_run_id() -> str:
    """Sortable and unique: ``20260101T120000Z-1a2b3c``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


@dataclass
class RunContext:
    """Per-run settings and shared resources. Create one per run; it is safe to share across threads.

    ``retries="host"`` turns off the runner's own retries when Dagster or Airflow owns them.
    ``memory`` holds frames handed over in-process; hosts running one node per process leave it empty
    and inputs are read from where upstream nodes persisted them. ``environment`` is where
    ``${env:...}`` secrets resolve (default: the process environment over the project's ``.env``);
    hosts overlay their own secrets (Dagster ``EnvVar``s, Airflow Connections) there. ``engines`` holds the
    run's engine sessions; a host building one context per step may pass the same dict to every step of a run
    (:func:`engines_of_run`).
    """

    plan: Plan
    run_id: str = field(default_factory=new_run_id)
    hooks: HookManager = field(default_factory=HookManager)
    retries: RetryOwner = "local"
    engine_override: str | None = None
    partition_key: str | None = None
    persist_intermediate: bool = True
    story_enabled: bool = True
    memory: dict[str, Any] = field(default_factory=dict, repr=False)
    extras: Mapping[str, Any] = field(default_factory=dict)
    _connections: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    engines: dict[str, Engine] = field(default_factory=dict, repr=False)
    environment: Environment | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from .project_hooks import with_project_hooks  # the project's alerts: and lineage:

        self.hooks = with_project_hooks(self)

    @property
    def project_dir(self) -> Path:
        return Path(self.plan.project_dir)

    def engine_for(self, engine_name: str) -> Engine:
        name = self.engine_override or engine_name
        if name == "spark" and self.plan.spark:
            from ..engines.spark import use_project_settings

            use_project_settings(**self.plan.spark.thaw())
        engine = get_engine(name)
        confine = getattr(engine, "confined", None)  # engines that can confine file access (embedded)
        if confine is None:
            return engine
        with self._lock:
            if name not in self.engines:
                self.engines[name] = confine(self._file_connections(), self._local_roots(),
                                              duckdb_settings(self.plan.performance))
            return self.engines[name]

    def _file_connections(self) -> list[Any]:
        """Every file connection of the plan that opens here (one that cannot is never reached either)."""
        opened = []
        for spec in self.plan.connections:
            if spec.type in ("sql", "http"):  # not file stores
                continue
            try:
                opened.append(self.connection(spec.name))
            except OdibiError:
                continue
        return opened

    def _local_roots(self) -> list[str]:
        """The local system and story folders."""
        roots = []
        for store in ("system_store", "story_store"):
            try:
                found: Store = getattr(self, store)
            except OdibiError:
                continue
            if found.is_local:
                roots.append(str(found.local_path()))
        return roots

    def connection(self, name: str) -> Any:
        """The opened connection ``name`` (opened once per run; secrets resolved here)."""
        with self._lock:
            if name not in self._connections:
                if self.environment is None:
                    self.environment = Environment.for_project(self.project_dir)
                self._connections[name] = open_connection(self.plan.connection(name), self.project_dir,
                                                          self.environment)
            return self._connections[name]

    def write_id(self, node_id: str) -> str:
        """Identifies one logical write: re-running it (a retry, a resume) must not duplicate rows."""
        parts = [self.run_id, node_id] + ([self.partition_key] if self.partition_key else [])
        return ":".join(parts)

    def _store(self, connection: str | None, path: str) -> Store:
        if connection:
            return Store.of_connection(self.connection(connection), path)
        root = Path(path)
        return Store.local(root if root.is_absolute() else self.project_dir / root)

    @property
    def system_store(self) -> Store:
        """Where odibi keeps intermediates, incremental marks and run state: local or an object store."""
        if type(self).system_root is not RunContext.system_root:  # a host moved it (Dagster storage_root)
            return Store.local(self.system_root)
        return self._store(self.plan.system.connection, self.plan.system.path)

    @property
    def story_store(self) -> Store:
        """Where the run stories go: ``{story}/{run_id}/nodes/*.json``, ``run.json``, ``index.html``."""
        return self._store(self.plan.story.connection, self.plan.story.path)

    @property
    def system_root(self) -> Path:
        """The local folder of :attr:`system_store`; StoreError when it is an object store."""
        return self._store(self.plan.system.connection, self.plan.system.path).local_path()

    @property
    def story_root(self) -> Path:
        """The local folder of :attr:`story_store`; StoreError when it is an object store."""
        return self.story_store.local_path()

    def intermediate_store(self, node_id: str) -> Store:
        """Where a node without a ``write`` leaves its output for consumers in other processes."""
        return self.system_store.child("intermediate", self.run_id, f"{node_id}.parquet")

    def intermediate_location(self, node_id: str) -> str:
        """:meth:`intermediate_store` as a string: a local path, or a URL (engines find its store again)."""
        return self.intermediate_store(node_id).uri
