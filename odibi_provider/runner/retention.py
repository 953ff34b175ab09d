"""Retention (``story.retention_days`` / ``story.retention_count``): prune old runs after a run.

A run is everything kept under its run id: its story (``{story}/{run_id}/``: node JSON, ``run.json``,
``index.html``), its run record (``{system}/runs/{run_id}/``) and its intermediates
(``{system}/intermediate/{run_id}/``). Runs are ordered by their newest file; a run beyond the newest
``retention_count`` or older than ``retention_days`` is deleted through its stores (local or object store).
Never deleted: the run that just ran, the run ``runs/last.json`` records as still running, and runs whose
story names another project (a story folder shared by projects). Pruning never fails the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..plan.model import Plan
from ..store import Store
from .context import RunContext
from .state import load_last_run

log = logging.getLogger("odibi_provider.runner")
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One run id and every location holding its files."""

    run_id: str
    places: tuple[Store, ...]
    modified: float
    project: str | None  # from its story; None when it has none


def stored_runs(story: Store | None, system: Store) -> list[StoredRun]:
    """Every run found in the system store and the story store, newest first. A story entry counts only when
    it is a run's story (it holds ``run.json`` or node records), so nothing else in that folder is touched."""
    places: dict[str, list[Store]] = {}
    for root in (system.child("runs"), system.child("intermediate")):
        for entry in root.glob("*"):
            if entry.name != "last.json":
                places.setdefault(entry.name, []).append(entry)
    projects: dict[str, str] = {}
    for entry in story.glob("*") if story is not None else []:
        project = _story_project(entry)
        if project is not None:
            projects[entry.name] = project
            places.setdefault(entry.name, []).append(entry)
    runs = []
    for run_id, found in places.items():
        times = [t for t in (place.modified() for place in found) if t is not None]
        runs.append(StoredRun(run_id, tuple(found), max(times, default=0.0), projects.get(run_id)))
    runs.sort(key=lambda r: (r.modified, r.run_id), reverse=True)
    return runs


def _story_project(run: Store) -> str | None:
    for record in (run.child("run.json"), *run.child("nodes").glob("*.json")[:1]):
        try:
            return str(record.read_json()["project"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def expired(runs: Iterable[StoredRun], *, days: int | None, count: int | None, project: str,
            keep: Iterable[str] = (), now: float | None = None) -> list[StoredRun]:
    """The runs (newest first in ``runs``) that retention deletes: beyond the newest ``count`` of
    ``project``'s runs or last written more than ``days`` ago; never one in ``keep`` or of another project."""
    kept, now = set(keep), time.time() if now is None else now
    ours = [r for r in runs if r.project in (None, project)]
    return [run for index, run in enumerate(ours) if run.run_id not in kept and (
        (count is not None and index >= count) or (days is not None and run.modified < now - days * DAY))]


def prune_runs(plan: Plan, story: Store | None, system: Store, *, current: str) -> list[str]:
    """Apply ``plan``'s story retention after run ``current``; return the run ids deleted."""
    days, count = plan.story.retention_days, plan.story.retention_count
    if days is None and count is None:
        return []
    try:
        last = load_last_run(system)
        keep = {current} | ({last.run_id} if last is not None and not last.finished else set())
        # the run that just ended is the newest, even when an older one shares its second (object stores
        # report times in whole seconds)
        runs = sorted(stored_runs(story, system), key=lambda r: r.run_id != current)
        doomed = expired(runs, days=days, count=count, project=plan.project, keep=keep)
        for run in doomed:
            for place in run.places:
                place.delete()
        if doomed:
            log.info("retention deleted %d old run(s): %s", len(doomed), ", ".join(r.run_id for r in doomed))
        return [r.run_id for r in doomed]
    except Exception as exc:  # noqa: BLE001 (housekeeping never fails the run)
        log.warning("could not apply story retention: %s", exc)
        return []


def prune_after_run(ctx: RunContext) -> list[str]:
    """:func:`prune_runs` with the run's own stores (the story store only when stories are on)."""
    try:
        story = ctx.story_store if ctx.story_enabled and ctx.plan.story.enabled else None
        system = ctx.system_store
    except Exception as exc:  # noqa: BLE001 (housekeeping never fails the run)
        log.warning("could not apply story retention: %s", exc)
        return []
    return prune_runs(ctx.plan, story, system, current=ctx.run_id)
