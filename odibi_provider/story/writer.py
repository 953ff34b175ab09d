"""StoryWriter: each node's record as one JSON fragment, and the run summary, written all or nothing.

Layout: ``{root}/{run_id}/nodes/{node_id}.json`` and ``{root}/{run_id}/run.json``, where ``root`` is the
story store: a local folder or an object store (:class:`~odibi_provider.store.Store`). Every file is
written through the store (local: staged and renamed into place; object store: one upload), so readers
(the HTML renderer, another host process) see the old file or the new one, never half of one.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace
from pathlib import Path

from ..store import Store, as_store
from .record import NodeStory, RunStory

RUN_FILE = "run.json"
NODES_DIR = "nodes"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def fragment_name(node_id: str) -> str:
    """The file name of a node's fragment: the node id with unsafe characters replaced by ``_``."""
    return _UNSAFE.sub("_", node_id) + ".json"


class StoryWriter:
    """Write node fragments and the run summary of one run under ``root``; safe to share across threads."""

    def __init__(self, root: str | Path | Store, run_id: str, *, project: str = "",
                 started_at: float | None = None, version: str | None = None,
                 environment: str | None = None) -> None:
        self.store = as_store(root)
        self.run_id = run_id
        self.project = project
        self.version, self.environment = version, environment  # shown in the run summary
        self.started_at = time.time() if started_at is None else started_at
        self._lock = threading.Lock()
        self._nodes: dict[str, NodeStory] = {}

    @property
    def run_store(self) -> Store:
        """``{root}/{run_id}``: where this run's story is (local or an object store)."""
        return self.store.child(self.run_id)

    @property
    def story_dir(self) -> Path:
        """The local folder of :attr:`run_store` (StoreError when the story store is an object store)."""
        return self.run_store.local_path()

    def node_store(self, node_id: str) -> Store:
        return self.run_store.child(NODES_DIR, fragment_name(node_id))

    def node_path(self, node_id: str) -> Path:
        return self.node_store(node_id).local_path()

    def write_node(self, story: NodeStory) -> NodeStory:
        """Write ``story`` to its fragment; return it with ``story_path`` set (a local path or a URL)."""
        target = self.node_store(story.node_id)
        story = replace(story, story_path=target.uri)
        target.write_json(story.to_dict(), indent=None)  # compact: Python's JSON indents in pure Python, 10x slower
        with self._lock:
            self._nodes[story.node_id] = story
        return story

    def write_run(self, run: RunStory) -> Store:
        """Write the run summary to ``run.json``; return where it is."""
        with self._lock:
            return self.run_store.child(RUN_FILE).write_json(run.to_dict())

    def finish(self, *, finished_at: float | None = None, running: bool = False) -> RunStory:
        """Summarise the run into ``run.json`` and return the summary: the fragments this writer wrote (in
        write order), or, when it wrote none (each node recorded by its own writer or process), every
        fragment in the run folder (in start order). ``running``: a host's run that goes on (status
        ``running``, no finish time)."""
        with self._lock:
            nodes = list(self._nodes.values())
        started = self.started_at
        if not nodes:
            nodes = fragments(self.run_store)
            started = min([started, *(n.started_at for n in nodes)])
        run = replace(RunStory.from_nodes(nodes, run_id=self.run_id, project=self.project or _project(nodes),
                                          started_at=started, finished_at=finished_at or time.time()),
                      version=self.version, environment=self.environment)
        if running:
            run = replace(run, status="running", finished_at=None)
        self.write_run(run)
        return run


def record_attempt(path: str | Path | Store, attempt: int) -> NodeStory:
    """Set a node fragment's ``attempts`` to the host's try number (Dagster and Airflow own retries, so the
    runner saw one attempt); return the updated record."""
    store = as_store(path)
    story = replace(load_node(store), attempts=attempt)
    store.write_json(story.to_dict(), indent=None)
    return story


def _project(nodes: list[NodeStory]) -> str:
    return nodes[0].project if nodes else ""


def load_node(path: str | Path | Store) -> NodeStory:
    """A node fragment (a local path, a URL under a store opened in this process, or a Store)."""
    return NodeStory.from_dict(as_store(path).read_json())


def fragments(run: Store) -> list[NodeStory]:
    """Every node fragment of a run folder, in start order."""
    stories = [load_node(fragment) for fragment in run.child(NODES_DIR).glob("*.json")]
    stories.sort(key=lambda s: (s.started_at, s.node_id))
    return stories


def load_run(run_dir: str | Path | Store) -> tuple[RunStory, list[NodeStory]]:
    """Read a run folder: the summary and the node stories, in the summary's order.

    Fragments the summary does not list (or every fragment, when ``run.json`` is missing, as when each
    node ran in its own host process) follow in start order; a missing summary is rebuilt from them.
    """
    run_store = as_store(run_dir)
    stories = fragments(run_store)
    try:
        data = run_store.child(RUN_FILE).read_json()
    except FileNotFoundError:
        if not stories:
            raise FileNotFoundError(f"{run_store.uri} holds no story: no {RUN_FILE} and no {NODES_DIR}/*.json; "
                                    "pass the folder of one run, {story root}/{run_id}") from None
        return RunStory.from_nodes(stories, run_id=run_store.name, project=stories[0].project), stories
    run = RunStory.from_dict(data)
    rank = {n.node_id: i for i, n in enumerate(run.nodes)}
    stories.sort(key=lambda s: rank.get(s.node_id, len(rank)))
    return run, stories
