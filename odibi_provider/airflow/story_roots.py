"""Where the Airflow api-server finds each project's stories: the plugin serves
``/odibi/stories/{project}/...`` from the story root a task of that project last recorded in the Airflow
Variable ``odibi_story_root__{project}`` (set it by hand when the api-server sees the root elsewhere).

Standard library at import: operators import this without FastAPI.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

STORIES_URL_PREFIX = "/odibi/stories"
VARIABLE_PREFIX = "odibi_story_root__"
log = logging.getLogger(__name__)


def variable_key(project: str) -> str:
    """The Airflow Variable holding ``project``'s story root (a local folder or an object-store URL)."""
    return VARIABLE_PREFIX + project


def plugin_base_url(project: str) -> str:
    """The URL path (relative to the api-server) under which the plugin serves ``project``'s story root."""
    from .operators.links import api_root_path  # [api] base_url's path: the api-server serves below it

    return f"{api_root_path()}{STORIES_URL_PREFIX}/{quote(project, safe='')}"


_remembered: set[tuple[str, str]] = set()  # (project, root) recorded from this process: not read again


def remember_story_root(project: str, root: str) -> bool:
    """From a task: record ``root`` for the plugin (written only when it changed; checked once per process,
    each check is a call to the Execution API). False when the Variable cannot be read or written here (the
    caller then links to the file instead)."""
    if (project, root) in _remembered:
        return True
    try:
        from airflow.sdk import Variable

        key = variable_key(project)
        if Variable.get(key, default=None) != root:
            Variable.set(key, root, description=f"odibi story root of project {project} (odibi provider plugin)")
        _remembered.add((project, root))
        return True
    except Exception as exc:  # noqa: BLE001 - the story link never fails the task
        log.warning("could not record the story root of %s for the odibi stories plugin: %s", project, exc)
        return False


def recorded_story_root(project: str) -> str | None:
    """On the api-server: the story root recorded for ``project`` (read from the metadata DB)."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        found = session.scalar(select(Variable).where(Variable.key == variable_key(project)))
        return str(found.val) if found is not None and found.val else None


def recorded_projects() -> list[str]:
    """The projects with a recorded story root, by name."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        keys = session.scalars(select(Variable.key).where(Variable.key.startswith(VARIABLE_PREFIX))).all()
    return sorted(k[len(VARIABLE_PREFIX):] for k in keys)
