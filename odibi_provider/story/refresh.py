"""When a run's HTML page is re-rendered while the run goes on: the one rule of the hosts' steps (Dagster's
node step, Airflow's node and pipeline tasks) and the story servers' render on request.

Rendering reads every fragment of the run, so a step that re-rendered the page after each node made a run
quadratic in its nodes. A step renders when the run is over, when it has something to show at once (a
failure), or when the page is older than :data:`RENDER_EVERY_S`; otherwise a later step, or a story server
when someone opens the page (:func:`refresh_stale_page`), brings it up to date.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..store import Store
from .record import NodeStory, RunStory
from .writer import NODES_DIR, RUN_FILE, fragment_name, fragments, load_run

INDEX = "index.html"
RENDER_EVERY_S = 2.0  # a running page is refreshed by a step at most this often, failures and run ends aside
RENDER_LIMIT = 300  # above this many fragments a running page is left to the run's end (or a story server)


def recorded(run: Store) -> frozenset[str]:
    """The fragment file names of a run folder (one listing; no fragment is read)."""
    return frozenset(entry.name for entry in run.child(NODES_DIR).glob("*.json"))


def has_fragment(names: frozenset[str], node_id: str) -> bool:
    """Whether ``node_id``'s fragment is among ``names`` (from :func:`recorded`)."""
    return fragment_name(node_id) in names


def page_due(run: Store, *, final: bool = False, now: bool = False, fragments_count: int | None = None) -> bool:
    """Whether a host's step re-renders the page of ``run`` (a run folder) after its node.

    ``final``: the run is over (its final summary is written): always. Else the run goes on, and the page
    is rendered when ``now`` (a failure, a last node) or when it is missing or older than
    :data:`RENDER_EVERY_S`, but never for a run of more than :data:`RENDER_LIMIT` fragments
    (``fragments_count`` when the caller listed them already).
    """
    if final:
        return True
    if not now and _modified_since(run.child(INDEX), time.time() - RENDER_EVERY_S):
        return False
    count = len(recorded(run)) if fragments_count is None else fragments_count
    return count <= RENDER_LIMIT


def refresh_stale_page(run: Store) -> bool:
    """Re-render the page of a local run folder when it misses what the run's files say (a story server
    calls this before serving ``index.html``); return whether it did.

    A running run (``run.json`` says ``running``, or is missing) whose page is missing or older than a
    fragment gets a page with a running summary of every fragment (built here, not written: the host's
    task owns ``run.json``, so a final summary is never turned back into running). A final summary newer
    than its page is rendered as it is. Object-store runs are served as stored (one listing and a read of
    every fragment per request would cost more than it shows).
    """
    if not run.is_local:
        return False
    from .html import render_page

    index, summary = run.child(INDEX), run.child(RUN_FILE)
    page, newest, seen = index.modified(), run.child(NODES_DIR).modified(), summary.modified()
    if newest is None:
        return False
    stored = RunStory.from_dict(summary.read_json()) if seen is not None else None
    if stored is not None and seen is not None and stored.status != "running":
        if page is not None and page >= seen:
            return False
        index.write_text(render_page(*load_run(run)))
        return True
    if page is not None and page >= newest:
        return False
    nodes = fragments(run)
    index.write_text(render_page(_running_summary(run, nodes, stored), nodes))
    if summary.modified() != seen:  # a task settled the run meanwhile: its summary, final perhaps, wins
        index.write_text(render_page(*load_run(run)))
    return True


def _running_summary(run: Store, nodes: list[NodeStory], stored: RunStory | None) -> RunStory:
    """The summary of a run that goes on, from its fragments (version and environment from ``stored``)."""
    project = stored.project if stored else (nodes[0].project if nodes else "")
    started = min([n.started_at for n in nodes] + ([stored.started_at] if stored else []))
    summary = RunStory.from_nodes(nodes, run_id=run.name, project=project, started_at=started)
    return replace(summary, status="running", finished_at=None, version=stored.version if stored else None,
                   environment=stored.environment if stored else None)


def _modified_since(target: Store, since: float) -> bool:
    modified = target.modified()
    return modified is not None and modified >= since
