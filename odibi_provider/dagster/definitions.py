"""``build_definitions``: an odibi project as Dagster Definitions (assets, checks, jobs, schedules,
sensors, resources), from the Plan cached on disk."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._gc import paused_gc
from ..errors import OdibiError
from ..hooks.manager import HookManager
from ..importers.python_config import ProjectSource, project_file_for
from ..plan.cache import load_plan
from ..plan.model import Plan
from ..runner.context import RunContext
from ..runner.schemas import Schema, recorded_schemas
from . import names
from ._dg import dg
from .assets import OdibiAssetArgs, build_odibi_asset_args, build_odibi_assets
from .execute import AssetRuntime
from .jobs import build_job_args, build_jobs_and_schedules
from .pipeline_step import build_pipeline_assets
from .resources import OdibiResource, project_resources
from .run_status import build_run_status_sensors
from .sensors import build_file_sensor, build_file_sensor_args
from .translator import OdibiDagsterTranslator

DEFAULT_RESOURCE_KEY = "odibi"
log = logging.getLogger("odibi_provider.dagster")


def build_definitions(project_path: ProjectSource, *, env: str | None = None,
                      translator: OdibiDagsterTranslator | None = None, resources: Mapping[str, Any] | None = None,
                      hooks: HookManager | None = None, vars: Mapping[str, Any] | None = None,
                      resource_key: str = DEFAULT_RESOURCE_KEY, executor: Any = None,
                      granularity: str | None = None) -> dg.Definitions:
    """Dagster Definitions for the odibi project at ``project_path`` (a folder or its project file, an
    odibi_de_v2 manifest / ODIBI CORE step list, or a ProjectConfig built in Python).

    One asset per node (grouped by layer) with its tests as asset checks, a job per pipeline, schedules,
    file-landing sensors and run status sensors. An asset's column schema is what the node's last run wrote
    (recorded in a local system store) or else its declared ``columns:``. ``resources`` add to or replace the
    defaults (an ``OdibiResource`` under ``resource_key``, its IO manager, DuckDB / PySpark where the project
    uses them). ``hooks`` receive the odibi events of every node run, and pipeline_complete / pipeline_error.

    ``granularity`` (``node`` or ``pipeline``) overrides the project's and pipelines' ``granularity``: with
    ``pipeline``, each pipeline is one subsettable multi-asset whose step runs its nodes in-process and
    reports each node as it finishes (same asset keys, checks and metadata).
    """
    project_path = project_file_for(project_path)  # a ProjectConfig built in Python is written to a file
    plan = load_plan(project_path, env=env, vars=vars)
    translator = translator or OdibiDagsterTranslator()
    supplied = dict(resources or {})
    odibi = supplied.get(resource_key) or OdibiResource(
        project_path=str(Path(project_path).resolve()), env=env, vars=dict(vars or {}))
    with paused_gc():  # thousands of specs and ops: the collector's full passes would make this superlinear
        asset_args = build_odibi_asset_args(plan, translator=translator, resource_key=resource_key,
                                            recorded_schemas=local_recorded_schemas(plan, odibi))
        runtime = AssetRuntime(resource_key=resource_key, hooks=hooks)
        assets: list[Any] = [*_assets(plan, asset_args, runtime, translator, granularity),
                             *source_specs(plan, translator)]
        jobs, schedules = build_jobs_and_schedules(build_job_args(plan, asset_args, translator=translator))
        sensor_jobs, sensors = _file_sensors(plan, asset_args)
    prefix = "" if resource_key == DEFAULT_RESOURCE_KEY else f"{names.safe_name(resource_key)}_"
    sensors += build_run_status_sensors(plan, _pipeline_of(plan, asset_args), hooks=hooks, odibi=odibi,
                                        prefix=prefix)
    return dg.Definitions(assets=assets, jobs=[*jobs, *sensor_jobs], schedules=schedules, sensors=sensors,
                          resources={**project_resources(plan, odibi, resource_key=resource_key), **supplied},
                          executor=executor)


def _assets(plan: Plan, asset_args: list[OdibiAssetArgs], runtime: AssetRuntime,
            translator: OdibiDagsterTranslator, granularity: str | None) -> list[dg.AssetsDefinition]:
    """A step per node, except for the pipelines run as one step (``granularity: pipeline``)."""
    if granularity not in (None, "node", "pipeline"):
        raise OdibiError(f"granularity must be 'node' or 'pipeline', got {granularity!r}")
    whole = {p.name for p in plan.pipelines if (granularity or p.granularity) == "pipeline"}
    by_pipeline: dict[str, list[OdibiAssetArgs]] = {}
    for args in asset_args:
        by_pipeline.setdefault(plan.node(args.node_id).pipeline, []).append(args)
    assets = build_odibi_assets([a for a in asset_args if plan.node(a.node_id).pipeline not in whole],
                                runtime=runtime)
    assets += [build_pipeline_assets(plan, name, by_pipeline[name], runtime=runtime,
                                     key_prefix=translator.key_prefix)
               for name in by_pipeline if name in whole]
    return assets


def source_specs(plan: Plan, translator: OdibiDagsterTranslator) -> list[dg.AssetSpec]:
    """One external asset per raw input of the project (files, tables, APIs no node writes)."""
    specs = (translator.get_source_spec(node.read, plan) for node in plan.nodes if node.read is not None)
    return list({spec.key: spec for spec in specs if spec is not None}.values())


def local_recorded_schemas(plan: Plan, odibi: Any) -> dict[str, Schema]:
    """The output schemas the project's last runs recorded (``runner/schemas.py``), when its system store is
    on this machine; with one on an object store, none: loading a code location makes no network call."""
    system = plan.system.connection
    if not getattr(odibi, "storage_root", None) and system and plan.connection(system).type != "local":
        return {}
    try:
        context = odibi.run_context(plan, run_id="definitions") if isinstance(odibi, OdibiResource) else \
            RunContext(plan=plan)
        return recorded_schemas(context.system_store)
    except Exception as exc:  # noqa: BLE001 (columns are a display: the code location loads without them)
        log.warning("could not read the recorded output schemas of %s: %s", plan.project, exc)
        return {}


def _file_sensors(plan: Plan, asset_args: list[OdibiAssetArgs]) -> tuple[list, list[dg.SensorDefinition]]:
    jobs, sensors = [], []
    for args in build_file_sensor_args(plan, asset_args):
        job = dg.define_asset_job(f"{args.name}_job", selection=dg.AssetSelection.assets(*args.keys),
                                  tags={"odibi/project": plan.project})
        jobs.append(job)
        sensors.append(build_file_sensor(args, plan, job))
    return jobs, sensors


def _pipeline_of(plan: Plan, asset_args: list[OdibiAssetArgs]) -> dict[dg.AssetKey, str]:
    return {args.spec.key: plan.node(args.node_id).pipeline for args in asset_args}
