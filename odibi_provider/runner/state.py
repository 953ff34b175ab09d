"""Run state for ``resume=True``: the last run a project started, and which of its nodes completed.

Kept in the system store (local or an object store), every file written all or nothing:

* ``runs/last.json``: the last started run: ``run_id``, ``project``, ``selected`` nodes, ``state``
  (``running`` from the start, ``finished`` once the run ended) and ``status`` (node -> status of every node
  that ended in a finished run segment);
* ``runs/<run_id>/done/<node_id>.json``: written the moment a node completes, so a run killed midway still
  knows what it completed; resume lists these names and reads none of them.

State is never rewritten as empty: a resume keeps the run id, the selection and every status recorded before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OdibiError
from ..plan.model import Plan
from ..store import Store, as_store
from .results import NodeResult
from .selection import select_nodes

log = logging.getLogger("odibi_provider.runner")
DONE = ("success", "warning")


class NothingToResume(OdibiError):
    """``resume`` found a run with nothing left to do; no state was changed. Not a failure of the data."""


def _runs(system: Store | Path) -> Store:
    return as_store(system).child("runs")


@dataclass(frozen=True, slots=True)
class RunState:
    """The last started run of a project as recorded: ``status`` merges ``last.json`` and the per-node files."""

    run_id: str
    project: str
    selected: tuple[str, ...]
    finished: bool
    status: Mapping[str, str] = field(default_factory=dict)

    @property
    def done(self) -> frozenset[str]:
        return frozenset(node for node, status in self.status.items() if status in DONE)


def load_last_run(system: Store | Path) -> RunState | None:
    """The last started run, or None when there is none (or its record cannot be read)."""
    try:
        data = _runs(system).child("last.json").read_json()
        run_id, project = str(data["run_id"]), str(data["project"])
        status = {str(k): str(v) for k, v in dict(data.get("status") or {}).items()}
        selected = tuple(str(n) for n in data.get("selected") or status)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    status.update(dict.fromkeys(completed_in_run(system, run_id), "success"))
    return RunState(run_id, project, selected, data.get("state", "finished") == "finished", status)


def resume_point(plan: Plan, system: Store, select: str | Iterable[str] | None = None) -> tuple[RunState, list[str]]:
    """The last started run of ``plan``'s project and its selected nodes (within ``select``) still to run.

    OdibiError when the project has no recorded run; :class:`NothingToResume` when every node is done.
    """
    last = load_last_run(system)
    if last is None or last.project != plan.project:
        raise OdibiError(f"nothing to resume: project '{plan.project}' has no previous run recorded in "
                         f"{system.child('runs')}; run it without --resume")
    saved = set(last.selected)
    remaining = [n for n in select_nodes(plan, select) if n in saved and n not in last.done]
    if not remaining:
        scope = " in the selection" if select is not None else ""
        how = "finished" if last.finished else "completed every selected node before it stopped"
        raise NothingToResume(f"run {last.run_id} of project '{last.project}' {how}: nothing to resume{scope}; "
                              "run without --resume to start a new run")
    return last, remaining


def completed_in_run(system: Store | Path, run_id: str) -> frozenset[str]:
    """The nodes run ``run_id`` recorded as completed (``runs/<run_id>/done``)."""
    return frozenset(entry.name.removesuffix(".json") for entry in _runs(system).child(run_id, "done").glob("*.json"))


class RunRecorder:
    """Records one run segment: :meth:`start`, :meth:`node` as each node ends, :meth:`finish`.

    ``selected`` is the run's whole selection, ``to_run`` this segment's nodes (all of them unless resumed);
    ``status`` carries what earlier segments of the same run recorded. With ``track_last=False`` (a host's
    pipeline step: the host owns the run, and other runs may be going on) only the per-node records are
    written, never ``last.json``.
    """

    def __init__(self, system: Store, *, run_id: str, project: str, selected: Iterable[str],
                 status: Mapping[str, str] | None = None, to_run: Iterable[str] | None = None,
                 track_last: bool = True) -> None:
        self.track_last = track_last
        self.runs, self.run_id, self.project = system.child("runs"), run_id, project
        self.selected = list(selected)
        self.to_run = self.selected if to_run is None else list(to_run)
        self.status = dict(status or {})
        self._lock = threading.Lock()

    def start(self) -> None:
        """The run is ``running``: a crash from here on is resumed under this run id. A new run drops the
        per-node records of the run it replaces (that run can no longer be resumed)."""
        if not self.track_last:
            return
        try:
            previous = str(self.runs.child("last.json").read_json()["run_id"])
        except (OSError, ValueError, KeyError, TypeError):
            previous = self.run_id
        self._write_last("running")
        if previous != self.run_id:
            try:
                folder = self.runs.child(previous)
                if folder.parent.uri == self.runs.uri and folder.name != "last.json":
                    folder.delete()
            except Exception as exc:  # noqa: BLE001 (leftover records of a replaced run are harmless)
                log.debug("could not delete the records of run %s: %s", previous, exc)

    def node(self, result: NodeResult) -> None:
        """A node ended; a completed one is recorded durably at once (a failure to record only logs).
        Thread-safe: workers call it as their node ends."""
        with self._lock:
            self.status[result.node_id] = result.status
        if result.status not in DONE:
            return
        try:
            self.runs.child(self.run_id, "done", f"{result.node_id}.json").write_json(
                {"node": result.node_id, "status": result.status, "at": time.time()}, indent=None)
        except Exception as exc:  # noqa: BLE001 (a resume re-runs the node; its write id keeps that idempotent)
            log.warning("could not record that node %s completed (a resume will run it again): %s",
                        result.node_id, exc)

    def finish(self) -> None:
        if self.track_last:
            self._write_last("finished")

    def _write_last(self, state: str) -> None:
        with self._lock:
            data: dict[str, Any] = {"run_id": self.run_id, "project": self.project, "state": state,
                                    "selected": self.selected, "status": dict(self.status), "at": time.time()}
        self.runs.child("last.json").write_json(data, indent=1)


# --- row counts of successful runs (volume_drop tests, gate row_count.change_threshold) ------------------

VOLUME_HISTORY = 200  # entries kept per node


def _volume(system: Store, node_id: str) -> Store:
    return system.child("volume", f"{node_id}.json")


def volume_history(system: Store, node_id: str) -> list[tuple[float, int]]:
    """(time, rows) of the node's recorded successful runs, oldest first; empty when none can be read."""
    try:
        return [(float(at), int(rows)) for at, rows in _volume(system, node_id).read_json()]
    except (OSError, ValueError, TypeError):
        return []


def record_volume(system: Store, node_id: str, rows: int, *, at: float | None = None) -> None:
    """Append a successful run's row count to ``volume/<node_id>.json`` (the newest entries are kept)."""
    entries = [*volume_history(system, node_id), (time.time() if at is None else at, int(rows))]
    _volume(system, node_id).write_json([list(e) for e in entries[-VOLUME_HISTORY:]], indent=None)
