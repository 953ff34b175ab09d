"""The Dagster code location for the retail example: ``dagster dev`` from the repository root opens it.

``pyproject.toml`` names this module (``[tool.dagster] module_name = "definitions.definitions"``).
Set ``ODIBI_ENV`` to load an ``environments:`` overlay of the project. Odibi events of every run are
appended to ``examples/retail/output/lake/_system/events.jsonl`` (a hook, as any project may attach).
"""

from __future__ import annotations

import os
from pathlib import Path

from odibi_provider.dagster import build_definitions
from odibi_provider.hooks import HookManager, JsonLinesSink

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "retail"
EVENT_LOG = EXAMPLE / "output" / "lake" / "_system" / "events.jsonl"

defs = build_definitions(EXAMPLE, env=os.environ.get("ODIBI_ENV") or None,
                         hooks=JsonLinesSink(EVENT_LOG).attach(HookManager()))
