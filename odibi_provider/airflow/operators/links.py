"""The "odibi story" extra link: from a task to the run story of the node it ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
