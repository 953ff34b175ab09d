"""LineageSink: a hook sink that emits OpenLineage run events through the ``openlineage-python`` client to
the transport the project's ``lineage:`` block names (HTTP with an optional API key, a file, the console).

A transport that fails (refused, 500, timeout) is logged and never fails a node; the client is built on the
first event, so a project whose lineage receiver is down still runs.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..hooks.events import Event
from ..hooks.manager import HookManager
from ..hooks.sinks import EventSink
from ..plan.model import Plan
from .events import STATES, run_event

logger = logging.getLogger(__name__)
URL_ENV = "OPENLINEAGE_URL"


class LineageSink(EventSink):
    """Emit START/COMPLETE/FAIL for the node and pipeline events of ``plan``.

    ``config`` is the compiled ``lineage:`` block; ``resolve`` turns its ``${env:...}`` references into values.
    """

    def __init__(self, plan: Plan, config: Mapping[str, Any], *, resolve: Callable[[str], str]) -> None:
        self.plan = plan
        self.config = dict(config)
        self.namespace = str(self.config.get("namespace") or "odibi")
        self._resolve = resolve
        self._client: Any = None
        self._lock = threading.Lock()

    def attach_to(self, hooks: HookManager) -> HookManager:
        """Subscribe to the events that become run events."""
        return self.attach(hooks, sorted(t.value for t in STATES))

    def write(self, event: Event) -> None:
        ol_event = run_event(event, self.plan, self.namespace)
        client = self.client()
        if ol_event is not None and client is not None:
            client.emit(ol_event)

    def client(self) -> Any:
        """The OpenLineage client for the configured transport (None, logged, when HTTP has no URL)."""
        with self._lock:
            if self._client is None:
                self._client = _client(self.plan, self.config, self._resolve)
            return self._client or None

    def __repr__(self) -> str:
        return f"LineageSink({self.config.get('transport', 'http')}, namespace={self.namespace!r})"


def _client(plan: Plan, config: Mapping[str, Any], resolve: Callable[[str], str]) -> Any:
    from openlineage.client import OpenLineageClient

    kind = config.get("transport") or "http"
    if kind == "console":
        from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport

        return OpenLineageClient(transport=ConsoleTransport(ConsoleConfig()))
    if kind == "file":
        from openlineage.client.transport.file import FileConfig, FileTransport

        path = Path(resolve(str(config["path"])))
        path = path if path.is_absolute() else Path(plan.project_dir) / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(path), append=True)))
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    url = resolve(str(config["url"])) if config.get("url") else os.environ.get(URL_ENV)
    if not url:
        logger.warning("lineage: no 'url' and $%s is not set; no OpenLineage events are sent (set lineage.url)",
                       URL_ENV)
        return False
    params: dict[str, Any] = {"url": url, "timeout": float(config.get("timeout") or 5.0),
                              "retry": {"total": 0}}
    if config.get("api_key"):
        from ..connections.masking import register_secret

        key = resolve(str(config["api_key"]))
        register_secret(key)
        params["auth"] = {"type": "api_key", "apiKey": key}
    return OpenLineageClient(transport=HttpTransport(HttpConfig.from_dict(params)))
