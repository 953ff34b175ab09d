"""What running a node or a project produced: small, frozen, JSON-ready results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engines.base import TestOutcome


@dataclass(frozen=True, slots=True)
class NodeResult:
    """One node's outcome. ``status``: success | warning (a warn/quarantine test failed) | failed | skipped."""

    node_id: str
    status: str
    duration_s: float = 0.0
    attempts: int = 0
    rows_in: Mapping[str, int] = field(default_factory=dict)
    rows_out: int | None = None
    rows_written: int | None = None
    dataset_uri: str | None = None
    location: str | None = None
    tests: tuple[TestOutcome, ...] = ()
    quarantined_rows: int = 0
    schema_out: tuple[tuple[str, str], ...] = ()
    sample: tuple[Mapping[str, Any], ...] = ()  # masked where the node marks columns sensitive
    story_path: str | None = None
    error: str | None = None
    error_type: str | None = None
    skipped_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("success", "warning")

    def metadata(self) -> dict[str, Any]:
        """Small metadata for hosts (XCom, materialization): never the data itself."""
        return {"node": self.node_id, "status": self.status, "rows_out": self.rows_out,
                "rows_written": self.rows_written, "uri": self.dataset_uri, "location": self.location,
                "quarantined_rows": self.quarantined_rows, "story_path": self.story_path,
                "duration_s": round(self.duration_s, 4),
                "tests": [{"name": t.name, "passed": t.passed, "failed_rows": t.failed_rows, "on_fail": t.on_fail}
                          for t in self.tests]}


@dataclass(frozen=True, slots=True)
class RunResult:
    """A project run: per-node results in completion order, and where the story is."""

    run_id: str
    project: str
    results: tuple[NodeResult, ...]
    duration_s: float
    story_html: str | None = None
    ignored_failures: tuple[str, ...] = ()

    def _ids(self, *statuses: str) -> tuple[str, ...]:
        return tuple(r.node_id for r in self.results if r.status in statuses)

    @property
    def completed(self) -> tuple[str, ...]:
        return self._ids("success", "warning")

    @property
    def failed(self) -> tuple[str, ...]:
        return self._ids("failed")

    @property
    def skipped(self) -> tuple[str, ...]:
        return self._ids("skipped")

    @property
    def ok(self) -> bool:
        """True when every failure was on a node with ``on_error: ignore``."""
        return all(node in self.ignored_failures for node in self.failed)

    def __getitem__(self, node_id: str) -> NodeResult:
        for result in self.results:
            if result.node_id == node_id:
                return result
        raise KeyError(node_id)
