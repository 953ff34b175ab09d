"""The "odibi story" extra link: from a task to the run story of the node it ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._af import sdk

if TYPE_CHECKING:  # pragma: no cover
    from airflow.sdk.types import TaskInstanceKey


class OdibiStoryLink(sdk.BaseOperatorLink):
    """Points at the node's story (the run's HTML page, or the node's JSON record).

    The operator sets ``story_url`` while it runs; Airflow stores the link in XCom when the task
    finishes (failed tasks included). Set ``[odibi] story_base_url`` to serve stories over HTTP.
    """

    name = "odibi story"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        return getattr(operator, "story_url", None) or ""


def api_root_path() -> str:
    """The path of ``[api] base_url`` (``""``, or e.g. ``/airflow`` behind a path-routing proxy): the
    api-server serves the UI, its API and the plugin's stories below it, so links to the plugin start there."""
    try:
        from airflow.sdk import conf

        return urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    except Exception:  # noqa: BLE001 - an unreadable config links from the server's root
        return ""
