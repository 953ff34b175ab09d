"""Resources: ``OdibiResource`` (where the project is and how to run it) and the optional DuckDB / PySpark
resources a project's connections and engines call for."""

from __future__ import annotations

import os
import re
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import Field

from ..hooks.manager import HookManager
from ..manifest.substitution import Environment
from ..plan.cache import load_plan, load_plan_for_run
from ..plan.model import Plan
from ..runner.context import RunContext, engines_of_run
from ._dg import dg

_ENV_ONLY = re.compile(r"^\$\{(?:env:)?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


class OdibiResource(dg.ConfigurableResource):
    """An odibi project as a Dagster resource.

    ``secrets`` maps names used as ``${env:NAME}`` in the project's connections to values, typically
    ``dagster.EnvVar("NAME")`` so they are resolved when a run launches and never shown in the UI.
    ``storage_root`` moves odibi's system storage (per-run intermediates, incremental marks).
    ``story_base_url`` is where the project's story root is served over HTTP (``odibi-provider
    serve-stories``; default ``$ODIBI_STORY_BASE_URL``), so the ``odibi/story_url`` link opens in a browser.
    """

    project_path: str
    env: str | None = None
    engine_override: str | None = None
    storage_root: str | None = None
    story_enabled: bool = True
    story_base_url: str | None = None
    secrets: dict[str, str] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)

    def load_plan(self, vars: Mapping[str, Any] | None = None) -> Plan:
        """The project's Plan (from the on-disk cache when valid); ``vars`` add to the resource's vars."""
        merged = {**self.vars, **(vars or {})}
        return load_plan(self.project_path, env=self.env, vars=merged or None)

    def plan_for_run(self, run_id: str, vars: Mapping[str, Any] | None = None) -> Plan:
        """:meth:`load_plan`, remembered for the rest of run ``run_id`` in this process (the steps of an
        in-process run share one decoded Plan instead of re-reading the cache per asset)."""
        return load_plan_for_run(self.project_path, run_id=run_id, env=self.env, vars={**self.vars, **(vars or {})})

    def run_context(self, plan: Plan, *, run_id: str, hooks: HookManager | None = None,
                    partition_key: str | None = None, logical_time: str | None = None) -> RunContext:
        """A RunContext for one node run under Dagster: Dagster owns retries, data crosses through storage, the
        steps of run ``run_id`` in one process share its engine sessions. ``logical_time`` (ISO text) is the
        run's logical time for ``freshness`` checks (default: now)."""
        environment = Environment.for_project(Path(plan.project_dir))
        if self.secrets:
            environment = replace(environment, process=ChainMap(dict(self.secrets), os.environ))
        return HostRunContext(plan=plan, run_id=run_id, hooks=hooks or HookManager(), retries="host",
                              engine_override=self.engine_override, partition_key=partition_key,
                              persist_intermediate=True, story_enabled=self.story_enabled, environment=environment,
                              storage_root=self.storage_root,
                              engines=engines_of_run(run_id, plan.project_dir, self.storage_root or "",
                                                     self.engine_override or ""),
                              extras={"logical_time": logical_time} if logical_time else {})


@dataclass
class HostRunContext(RunContext):
    """A RunContext whose system storage may be moved to ``storage_root``."""

    storage_root: str | None = None

    @property
    def system_root(self) -> Path:
        return Path(self.storage_root) if self.storage_root else super().system_root


def io_manager_key(resource_key: str) -> str:
    return f"{resource_key}_io_manager"


def project_resources(plan: Plan, odibi: OdibiResource, *, resource_key: str = "odibi") -> dict[str, Any]:
    """The resources a project's assets need: odibi, its IO manager, and DuckDB / PySpark where used."""
    from .io_manager import OdibiIOManager

    resources: dict[str, Any] = {resource_key: odibi, io_manager_key(resource_key): OdibiIOManager(odibi=odibi)}
    warehouse = duckdb_warehouse(plan)
    if warehouse is not None:
        from ..extras import require

        duckdb_resource = require("dagster_duckdb", purpose="the DuckDB warehouse resource").DuckDBResource
        resources["duckdb"] = duckdb_resource(database=warehouse)
    if uses_spark(plan):
        from ..extras import require

        pyspark_resource = require("dagster_pyspark", purpose="the Spark engine under Dagster").PySparkResource
        resources["pyspark"] = pyspark_resource(spark_config={"spark.app.name": f"odibi-{plan.project}"})
    return resources


def duckdb_warehouse(plan: Plan) -> str | dg.EnvVar | None:
    """The DuckDB file of the project's first ``duckdb:///...`` sql connection (``${env:X}`` -> EnvVar)."""
    for connection in plan.connections:
        url = str(connection.options.get("url", "")) if connection.type == "sql" else ""
        if not url.startswith("duckdb:///"):
            continue
        database = url[len("duckdb:///"):]
        match = _ENV_ONLY.match(database)
        if match:
            return dg.EnvVar(match.group(1))
        path = Path(database)
        return str(path if path.is_absolute() else Path(plan.project_dir) / path)
    return None


def uses_spark(plan: Plan) -> bool:
    return plan.engine == "spark" or any(node.engine == "spark" for node in plan.nodes)
