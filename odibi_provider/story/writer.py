"""StoryWriter: each node's record as one JSON fragment, and the run summary, written atomically.

Layout: ``{root}/{run_id}/nodes/{node_id}.json`` and ``{root}/{run_id}/run.json``. Fragments are written
to a temporary file beside the target and moved into place with ``os.replace``, so readers (the HTML
renderer, another host process) see the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .record import NodeStory, RunStory

RUN_FILE = "run.json"
NODES_DIR = "nodes"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def fragment_name(node_id: str) -> str:
    """The file name of a node's fragment: the node id with unsafe characters replaced by ``_``."""
    return _UNSAFE.sub("_", node_id) + ".json"


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a story is meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (non-JSON values become strings)."""
    return write_text_atomic(path, json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


class StoryWriter:
    """Write node fragments and the run summary of one run under ``root``; safe to share across threads."""

    def __init__(self, root: str | Path, run_id: str, *, project: str = "", started_at: float | None = None) -> None:
        self.root = Path(root)
        self.run_id = run_id
        self.project = project
        self.started_at = time.time() if started_at is None else started_at
        self._lock = threading.Lock()
        self._nodes: dict[str, NodeStory] = {}

    @property
    def story_dir(self) -> Path:
        """``{root}/{run_id}``: the folder holding this run's story."""
        return self.root / self.run_id

    def node_path(self, node_id: str) -> Path:
        return self.story_dir / NODES_DIR / fragment_name(node_id)

    def write_node(self, story: NodeStory) -> NodeStory:
        """Write ``story`` to its fragment; return it with ``story_path`` set."""
        path = self.node_path(story.node_id)
        story = replace(story, story_path=str(path))
        write_json_atomic(path, story.to_dict())
        with self._lock:
            self._nodes[story.node_id] = story
        return story

    def write_run(self, run: RunStory) -> Path:
        """Write the run summary to ``run.json``."""
        with self._lock:
            return write_json_atomic(self.story_dir / RUN_FILE, run.to_dict())

    def finish(self, *, finished_at: float | None = None) -> RunStory:
        """Summarise the fragments this writer wrote (in write order) into ``run.json``; return the summary."""
        with self._lock:
            nodes = list(self._nodes.values())
        run = RunStory.from_nodes(nodes, run_id=self.run_id, project=self.project or _project(nodes),
                                  started_at=self.started_at, finished_at=finished_at or time.time())
        self.write_run(run)
        return run


def _project(nodes: list[NodeStory]) -> str:
    return nodes[0].project if nodes else ""


def load_node(path: Path) -> NodeStory:
    return NodeStory.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def load_run(run_dir: str | Path) -> tuple[RunStory, list[NodeStory]]:
    """Read a run folder: the summary and the node stories, in the summary's order.

    Fragments the summary does not list (or every fragment, when ``run.json`` is missing, as when each
    node ran in its own host process) follow in start order; a missing summary is rebuilt from them.
    """
    run_dir = Path(run_dir)
    nodes_dir = run_dir / NODES_DIR
    stories = [load_node(p) for p in sorted(nodes_dir.glob("*.json"))] if nodes_dir.is_dir() else []
    stories.sort(key=lambda s: (s.started_at, s.node_id))
    run_file = run_dir / RUN_FILE
    if not run_file.exists():
        if not stories:
            raise FileNotFoundError(f"{run_dir} holds no story: no {RUN_FILE} and no {NODES_DIR}/*.json; "
                                    "pass the folder of one run, {story root}/{run_id}")
        return RunStory.from_nodes(stories, run_id=run_dir.name, project=stories[0].project), stories
    run = RunStory.from_dict(json.loads(run_file.read_text(encoding="utf-8")))
    rank = {n.node_id: i for i, n in enumerate(run.nodes)}
    stories.sort(key=lambda s: rank.get(s.node_id, len(rank)))
    return run, stories
