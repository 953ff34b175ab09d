"""The FastAPI app the odibi plugin mounts on the Airflow api-server at ``/odibi/stories``.

``/odibi/stories/`` lists the projects with a recorded story root; ``/odibi/stories/{project}/{path}``
serves a file below that root, read-only, with the same path rules as ``odibi-provider serve-stories``
(:func:`odibi_provider.story.server.story_file`), which re-renders a running run's page that misses a
finished node (tasks leave the page to the run's end between refreshes). Anything else is a 404.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from ..store import Store, StoreError
from ..story.server import story_file
from .story_roots import recorded_projects, recorded_story_root

NOT_FOUND = "no such odibi story file"


def _projects_page() -> str:
    items = "".join(f'<li><a href="{quote(p, safe="")}/">{html.escape(p)}</a></li>' for p in recorded_projects())
    body = f"<ul>{items}</ul>" if items else "<p>No odibi task has written a story yet.</p>"
    return ("<!doctype html><html><head><meta charset='utf-8'><title>odibi stories</title></head>"
            f"<body><h1>odibi stories</h1>{body}</body></html>")


def create_app() -> FastAPI:
    """A FastAPI app serving every recorded project's story root (GET only)."""
    app = FastAPI(title="odibi stories", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    def projects() -> str:
        return _projects_page()

    @app.get("/{project}/{path:path}")
    def story(project: str, path: str) -> Response:
        root = recorded_story_root(project)
        if root is None:
            return Response(NOT_FOUND, status_code=404, media_type="text/plain")
        try:
            found = story_file(Store.locate(root), path)
        except (OSError, StoreError):
            found = None
        if found is None:
            return Response(NOT_FOUND, status_code=404, media_type="text/plain")
        return Response(found.body, media_type=found.content_type, headers={"Cache-Control": "no-cache"})

    return app
