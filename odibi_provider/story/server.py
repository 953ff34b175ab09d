"""Serve a story root over HTTP (standard library; nothing is written but a run's own page):
``odibi-provider serve-stories`` and the Airflow plugin's app both answer through :func:`story_file`, so both
refuse the same paths.

Only files below the root with a story suffix are served; ``..``, absolute paths, hidden names,
backslashes and symlinks leading out of the root are 404s. A folder answers with its ``index.html``; the
root answers with a list of runs. A running run's ``index.html`` is re-rendered when a node finished after
it was (:func:`odibi_provider.story.refresh.refresh_stale_page`), so it shows every finished node.
"""

from __future__ import annotations

import html
import logging
import os
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ..store import Store, StoreError
from .refresh import INDEX, refresh_stale_page

log = logging.getLogger(__name__)
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
                 ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".png": "image/png",
                 ".txt": "text/plain; charset=utf-8"}
RUNS_LISTED = 200


@dataclass(frozen=True)
class StoryFile:
    """A file served from a story root: its bytes and content type."""

    body: bytes
    content_type: str


def _safe_parts(relative: str) -> list[str] | None:
    """The path's names, or None when any could leave the root or name something hidden."""
    if "\\" in relative or "\0" in relative or relative.startswith("/"):
        return None
    parts = [p for p in relative.split("/") if p]
    if any(p in (".", "..") or p.startswith(".") for p in parts):
        return None
    return parts


def _inside(root: Store, target: Store) -> bool:
    """For a local root: the target, symlinks resolved, is still below the root."""
    if not root.is_local:
        return True
    real_root = os.path.realpath(root.uri)
    return os.path.realpath(target.uri).startswith(real_root + os.sep)


def story_file(root: Store, relative: str) -> StoryFile | None:
    """The file at ``relative`` (URL path, already unquoted) below ``root``; a folder gives its
    ``index.html``, the root itself a list of runs. None for anything unsafe or missing (answer 404)."""
    parts = _safe_parts(relative)
    if parts is None:
        return None
    if not parts:
        return StoryFile(runs_page(root).encode(), CONTENT_TYPES[".html"])
    try:
        target = root.child(*parts)
        if Path(parts[-1]).suffix.lower() not in CONTENT_TYPES:  # a folder (run ids may hold dots)
            target = target.child("index.html")
        kind = CONTENT_TYPES[Path(target.name).suffix.lower()]
        if not _inside(root, target):
            return None
        if target.name == INDEX:
            _refresh(target.parent)
        if not target.exists():
            return None
        return StoryFile(target.read_bytes(), kind)
    except (OSError, StoreError):
        return None


def _refresh(run: Store) -> None:
    """Bring a run's page up to date before serving it (hosts' tasks may have left it behind); a failure is
    logged and the stored page served."""
    try:
        refresh_stale_page(run)
    except Exception as exc:  # noqa: BLE001 - serving the stored page beats a 404
        log.warning("could not refresh the story page of %s: %s", run.uri, exc)


def runs_page(root: Store) -> str:
    """A page listing the newest runs with an HTML story (links relative to the root)."""
    try:
        runs = sorted((s for s in root.glob("*") if s.child("index.html").exists()),
                      key=lambda s: s.child("index.html").modified() or 0.0, reverse=True)[:RUNS_LISTED]
    except (OSError, StoreError):
        runs = []
    items = "".join(f'<li><a href="{quote(s.name)}/index.html">{html.escape(s.name)}</a></li>' for s in runs)
    body = f"<ul>{items}</ul>" if items else "<p>No run stories yet.</p>"
    return ("<!doctype html><html><head><meta charset='utf-8'><title>odibi stories</title></head>"
            f"<body><h1>odibi stories</h1>{body}</body></html>")


class _Handler(BaseHTTPRequestHandler):
    server: StoryServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        found = story_file(self.server.root, unquote(urlsplit(self.path).path).lstrip("/"))
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND, "no such story file")
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", found.content_type)
        self.send_header("Content-Length", str(len(found.body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if with_body:
            self.wfile.write(found.body)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s " + format, self.address_string(), *args)


class StoryServer(ThreadingHTTPServer):
    """A threading HTTP server answering GET/HEAD from one story root (other methods: 501)."""

    daemon_threads = True

    def __init__(self, root: Store, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        """``http://host:port`` where the server listens."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"
