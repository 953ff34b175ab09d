"""The odibi Airflow plugin (entry point ``airflow.plugins``): the run stories inside the Airflow UI.

It mounts :mod:`odibi_provider.airflow.stories_app` on the api-server at ``/odibi/stories`` and adds an
"odibi stories" entry to the Browse menu. A task's "odibi story" extra link points there (a same-origin
http link) unless ``[odibi] story_base_url`` names another server.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from .operators.links import api_root_path
from .stories_app import create_app
from .story_roots import STORIES_URL_PREFIX


class OdibiStoriesPlugin(AirflowPlugin):
    """Serves odibi run stories from the api-server and links them from the Browse menu."""

    name = "odibi_stories"
    fastapi_apps: list[dict[str, Any]] = [  # noqa: RUF012 - Airflow reads these class attributes
        {"app": create_app(), "url_prefix": STORIES_URL_PREFIX, "name": "odibi stories"},
    ]
    external_views: list[dict[str, Any]] = [  # noqa: RUF012
        {"name": "odibi stories", "href": f"{api_root_path()}{STORIES_URL_PREFIX}/", "destination": "nav",
         "category": "browse", "url_route": "odibi_stories"},
    ]
