"""Load a project's Plan, from an on-disk cache when nothing it was built from has changed.

The cache entry records a content hash of every file the Plan came from (project YAML, imports,
``.env``, transform files) and a fingerprint of the environment values and dates it resolved (never
stored). Hosts that parse often (Airflow) load a 1,000-node Plan without re-validating. Dates are fingerprinted
as they would resolve now, so a Plan holding ``${date:today}`` is rebuilt the next day and one holding
``${date:now}`` (to the second, or finer with its format) on every load.

Secrets never reach the cache, not even hashed: ``${env:...}`` references in ``connections:`` stay
references in the Plan, so their values are not part of the fingerprint, and ``.env`` (where they live) is
not hashed as a file. Only values substituted into the Plan itself are fingerprinted, and those are in the
cached Plan's text anyway. So a password guess cannot be checked against the cache, and machines sharing
a cache folder (an Airflow DAG bundle) keep hitting it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._gc import paused_gc
from ..errors import Problem
from ..manifest.project_file import find_project_file
from ..manifest.substitution import Environment, Substituter
from ..registry import Registry
from ..store import Store
from .model import PLAN_FORMAT, Plan

if TYPE_CHECKING:  # the compile path (pydantic, the compiler) loads only on a cache miss
    from ..manifest.loader import LoadedProject

log = logging.getLogger(__name__)
CACHE_DIR_ENV = "ODIBI_PROVIDER_CACHE_DIR"
RUN_PLANS_KEPT = 8  # runs whose decoded Plan a process keeps
_run_plans: OrderedDict[tuple[str, str], Plan] = OrderedDict()
_run_plans_lock = threading.Lock()


def compile_project(path: str | os.PathLike[str], *, env: str | None = None, vars: Mapping[str, Any] | None = None,
                    registry: Registry | None = None) -> Plan:
    """Load, validate and compile a project (no cache). Raises ProjectError listing every problem."""
    return check_project(path, env=env, vars=vars, registry=registry)[0]


def check_project(path: str | os.PathLike[str], *, env: str | None = None, vars: Mapping[str, Any] | None = None,
                  registry: Registry | None = None) -> tuple[Plan, tuple[Problem, ...]]:
    """Like :func:`compile_project`, also returning the warnings (e.g. a secret's variable not set here)."""
    from ..manifest.loader import load_project
    from .compiler import compile_plan

    with paused_gc():
        loaded = load_project(path, env=env, vars=vars)
        plan = compile_plan(loaded, registry=registry, source_hash=_files_hash(_source_files(loaded)))
    return plan, loaded.warnings


def load_plan(path: str | os.PathLike[str], *, env: str | None = None, vars: Mapping[str, Any] | None = None,
              registry: Registry | None = None, use_cache: bool = True) -> Plan:
    """The project's Plan, from the cache when it is still valid, else compiled (and cached)."""
    project_file = find_project_file(path)
    entry_file = _entry_file(project_file, env, vars)
    with paused_gc():
        if use_cache:
            plan = _read_cached(entry_file, project_file)
            if plan is not None:
                return plan
        from ..manifest.loader import load_project
        from .compiler import compile_plan

        loaded = load_project(project_file, env=env, vars=vars)
        files = _source_files(loaded)
        plan = compile_plan(loaded, registry=registry, source_hash=_files_hash(files))
    if use_cache and loaded.cacheable:
        _write_cached(entry_file, plan, files, loaded)
    return plan


def load_plan_for_run(path: str | os.PathLike[str], *, run_id: str, env: str | None = None,
                      vars: Mapping[str, Any] | None = None) -> Plan:
    """:func:`load_plan`, remembered for the rest of run ``run_id`` in this process: the steps or tasks of one
    run sharing a process (Dagster's in-process executor, Airflow's ``dag.test()``) decode the cached Plan once,
    not once each (decoding costs O(nodes)). A later run loads it afresh, so project edits are seen."""
    key = (json.dumps([os.fspath(path), env, dict(vars or {})], sort_keys=True, default=str), run_id)
    with _run_plans_lock:
        plan = _run_plans.get(key)
    if plan is None:
        plan = load_plan(path, env=env, vars=vars or None)
        with _run_plans_lock:
            _run_plans[key] = plan
            while len(_run_plans) > RUN_PLANS_KEPT:
                _run_plans.popitem(last=False)
    return plan


def _source_files(loaded: LoadedProject) -> list[Path]:
    """Every file the Plan depends on; ``transforms.py`` even when absent (creating one must invalidate the
    cache). Not ``.env``: what the Plan takes from it is in the fingerprint, and its secrets stay out."""
    from .compiler import explanation_files

    files = [f for f in loaded.files if f.name != ".env"]
    extras = [loaded.project_dir / "transforms.py",
              *(loaded.project_dir / m for m in loaded.config.transforms if m.endswith(".py")),
              *explanation_files(loaded)]
    files.extend(p for p in extras if p not in files)
    return files


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _files_hash(files: list[Path]) -> str:
    combined = hashlib.sha256()
    for path in files:
        combined.update(f"{path}\0{_digest(path)}\0".encode())
    return combined.hexdigest()[:16]


def _cache_dir(project_file: Path) -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured) if configured else project_file.parent / ".odibi" / "cache"


def _entry_file(project_file: Path, env: str | None, vars: Mapping[str, Any] | None) -> Path:
    from .. import __version__

    key = json.dumps([str(project_file), env, sorted((vars or {}).items()), __version__, PLAN_FORMAT],
                     default=str)
    return _cache_dir(project_file) / f"plan-{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"


def _fingerprint(env_refs: list[str], date_refs: list[str], project_dir: Path) -> str:
    """A hash of the environment values and dates substituted into the plan; values are never stored."""
    environment = Environment.for_project(project_dir)
    substituter = Substituter(env=environment, variables={}, now=datetime.now())
    dates = [substituter.resolve("${" + ref + "}", ()) for ref in date_refs]
    values = [(name, environment.get(name)) for name in env_refs]
    return hashlib.sha256(json.dumps([values, dates]).encode()).hexdigest()


def _read_cached(entry_file: Path, project_file: Path) -> Plan | None:
    try:
        entry = json.loads(entry_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        if any(_digest(Path(p)) != digest for p, digest in entry["files"].items()):
            return None
        if _fingerprint(entry["env_refs"], entry["date_refs"], project_file.parent) != entry["fingerprint"]:
            return None
        return Plan.from_json(entry["plan"])
    except Exception as exc:  # noqa: BLE001 (a stale or foreign cache entry is rebuilt)
        log.debug("ignoring plan cache %s: %s", entry_file, exc)
        return None


def _write_cached(entry_file: Path, plan: Plan, files: list[Path], loaded: LoadedProject) -> None:
    entry = {"files": {str(p): _digest(p) for p in files}, "env_refs": list(loaded.env_refs),
             "date_refs": list(loaded.date_refs),
             "fingerprint": _fingerprint(list(loaded.env_refs), list(loaded.date_refs), loaded.project_dir),
             "plan": plan.to_json()}
    try:
        Store.local(entry_file).write_json(entry, indent=None)
    except OSError as exc:  # a read-only project folder only costs the cache
        log.debug("cannot write plan cache %s: %s", entry_file, exc)
