"""The project's ``logging:`` block: the ``odibi_provider`` loggers' level and, when asked, JSON lines.

As in Odibi, ``structured: true`` writes one JSON object per record to standard output with ``timestamp``
(ISO 8601, UTC), ``level`` and ``message``, plus ``logger``, the exception text when there is one and the
block's ``metadata`` fields. Applying a block again replaces the handler this module installed, never one
the application installed.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

LOGGER = "odibi_provider"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: Odibi's ``timestamp``/``level``/``message`` and ``metadata``."""

    def __init__(self, metadata: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.metadata = dict(metadata or {})

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname, "message": record.getMessage(), "logger": record.name, **self.metadata}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _ProjectHandler(logging.StreamHandler):
    """The handler :func:`apply_logging` installs (found again by its class)."""


def apply_logging(block: Mapping[str, Any] | None) -> None:
    """Apply a project's ``logging:`` block (``level``, ``structured``, ``metadata``); None changes nothing."""
    if block is None:
        return
    logger = logging.getLogger(LOGGER)
    logger.setLevel(str(block.get("level") or "INFO"))
    installed = [h for h in logger.handlers if isinstance(h, _ProjectHandler)]
    for handler in installed:
        logger.removeHandler(handler)
    if block.get("structured"):
        handler = _ProjectHandler(sys.stdout)
        handler.setFormatter(JsonFormatter(block.get("metadata")))
        logger.addHandler(handler)
        logger.propagate = False  # one line per record, not the JSON line and a root handler's copy
    elif installed:
        logger.propagate = True
