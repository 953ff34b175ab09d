"""What running a node or a project produced: small, frozen, JSON-ready results.

:class:`NodeResult` is the one record of what a node observed. The story fragment, the Dagster
materialization metadata, the Airflow XCom value and log lines, and the hook events are views of it
(:mod:`odibi_provider.runner.views`); none of them reads the story back from disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engines.base import TestOutcome, WriteOutcome

Column = tuple[str, str]
Schema = tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One transform step as it ran: ``kind`` is sql | transformer | function; ``sql`` what the engine ran."""

    kind: str
    name: str | None = None
    sql: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "sql": self.sql, "params": dict(self.params),
                "duration_s": round(self.duration_s, 4)}


@dataclass(frozen=True, slots=True)
class NodeResult:
    """One node's outcome and what it observed.

    ``status``: success | warning (a warn/quarantine test failed) | failed | skipped. ``rows_in`` and
    ``input_schemas`` are per input relation (by the name SQL sees it under) plus ``read`` for the node's
    own read; ``schema_in`` is the data entering the steps and ``schema_out`` what was written or handed
    on. ``rows_rejected`` counts malformed rows ``ignore_errors`` dropped from the read; ``warnings`` says
    what needs a look although the node ran (status ``warning``). ``retryable`` (failed nodes only) says
    whether another try may pass; hosts read it.
    """

    node_id: str
    status: str
    pipeline: str = ""
    layer: str = ""
    engine: str = ""
    started_at: float = 0.0
    duration_s: float = 0.0
    attempts: int = 0
    rows_in: Mapping[str, int] = field(default_factory=dict)
    input_schemas: Mapping[str, Schema] = field(default_factory=dict)
    rows_out: int | None = None
    schema_in: Schema = ()
    schema_out: Schema = ()
    steps: tuple[StepRecord, ...] = ()
    tests: tuple[TestOutcome, ...] = ()
    contracts: tuple[TestOutcome, ...] = ()  # the input's contracts, checked before the steps
    gate: TestOutcome | None = None  # the quality gate's verdict (name and type "gate")
    quarantined_rows: int = 0
    quarantine_target: str | None = None
    write: WriteOutcome | None = None
    rows_rejected: int = 0
    warnings: tuple[str, ...] = ()
    dataset_uri: str | None = None
    sample: tuple[Mapping[str, Any], ...] = ()  # masked where the node marks columns sensitive
    story_path: str | None = None
    error: str | None = None
    error_type: str | None = None
    traceback: str | None = None
    retryable: bool | None = None
    skipped_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("success", "warning")

    @property
    def finished_at(self) -> float:
        return self.started_at + self.duration_s

    @property
    def rows_written(self) -> int | None:
        return self.write.rows_written if self.write else None

    @property
    def location(self) -> str | None:
        return self.write.location if self.write else None

    @property
    def sql(self) -> tuple[str, ...]:
        """The SQL of every SQL and transformer step, in order."""
        return tuple(step.sql for step in self.steps if step.sql)

    @property
    def write_skipped(self) -> str | None:
        """Why the write wrote nothing: ``unchanged`` (skip_if_unchanged), ``already written by this run``
        (an idempotent re-run), or None when it wrote (or there is no write)."""
        if self.write is None or not self.write.skipped:
            return None
        return str(self.write.details.get("skipped") or "already written by this run")

    def metadata(self) -> dict[str, Any]:
        """Small metadata for hosts (XCom, materialization): never the data itself."""
        return {"node": self.node_id, "status": self.status, "rows_in": dict(self.rows_in),
                "rows_out": self.rows_out, "rows_written": self.rows_written, "uri": self.dataset_uri,
                "location": self.location, "quarantined_rows": self.quarantined_rows,
                "quarantine_target": self.quarantine_target, "rows_rejected": self.rows_rejected,
                "warnings": list(self.warnings), "story_path": self.story_path,
                "duration_s": round(self.duration_s, 4), "attempts": self.attempts,
                "retryable": self.retryable, **({"write_skipped": self.write_skipped} if self.write_skipped else {}),
                "tests": [{"name": t.name, "passed": t.passed, "failed_rows": t.failed_rows, "on_fail": t.on_fail}
                          for t in self.tests],
                **({"contracts": [{"name": t.name, "passed": t.passed, "on_fail": t.on_fail} for t in self.contracts]}
                   if self.contracts else {}),
                **({"gate": {"passed": self.gate.passed, "on_fail": self.gate.on_fail, "message": self.gate.message}}
                   if self.gate else {})}


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

    @property
    def status(self) -> str:
        """``failed`` when a failure counts (see :attr:`ok`), ``warning`` when a node warned, else ``success``."""
        if not self.ok:
            return "failed"
        return "warning" if any(r.status == "warning" for r in self.results) else "success"

    # odibi_de_v2's summary fields, for callers of its run_project
    @property
    def duration_seconds(self) -> float:
        return self.duration_s

    @property
    def layers_executed(self) -> tuple[str, ...]:
        """The layers (in run order) with at least one node that ran, failed ones included."""
        return tuple(dict.fromkeys(r.layer for r in self.results if r.status != "skipped" and r.layer))

    @property
    def errors(self) -> tuple[dict[str, str | None], ...]:
        """One ``{"node", "error"}`` per failed node."""
        return tuple({"node": r.node_id, "error": r.error} for r in self.results if r.status == "failed")

    def __getitem__(self, node_id: str) -> NodeResult:
        for result in self.results:
            if result.node_id == node_id:
                return result
        raise KeyError(node_id)
