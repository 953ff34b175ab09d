"""Links to a node's part of a run story: ``{base}/{run_id}/index.html#node-{id}`` (standard library only).

The Airflow extra link, the Dagster metadata link and the story servers agree on this shape: a server
serves a project's story root at ``base``, so the path below the root is the URL path below ``base``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

STORY_BASE_URL_ENV = "ODIBI_STORY_BASE_URL"
_ANCHOR = re.compile(r"[^A-Za-z0-9_-]")  # as odibi_provider.story.html names node sections


def node_anchor(node_id: str) -> str:
    """The fragment (without ``#``) of a node's section in the run's HTML story."""
    return "node-" + _ANCHOR.sub("_", node_id)


def story_url(base: str, relative: str, node_id: str | None = None) -> str:
    """``base`` plus the story file's ``/``-separated path below the story root, and the node's anchor."""
    anchor = f"#{node_anchor(node_id)}" if node_id else ""
    return f"{base.rstrip('/')}/{quote(relative.lstrip('/'))}{anchor}"


def env_story_base_url() -> str | None:
    """``$ODIBI_STORY_BASE_URL`` (empty counts as unset)."""
    return os.environ.get(STORY_BASE_URL_ENV) or None
