"""The story's records: what one node did (:class:`NodeStory`) and how the run went (:class:`RunStory`).

Plain frozen data with ``to_dict``/``from_dict`` for a JSON round trip. Standard library only; engine
results (``TestOutcome``, ``WriteOutcome``, exceptions) are read by attribute, never imported.
"""

from __future__ import annotations

import re
import traceback as tb
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

NodeStatus = Literal["success", "failed", "skipped", "warning"]
NODE_STATUSES: tuple[str, ...] = ("success", "failed", "skipped", "warning")
RUN_STATUSES: tuple[str, ...] = ("running", "success", "failed")
MASK = "***"
Column = tuple[str, str]
VALIDATION_KEYS = ("name", "type", "on_fail", "passed", "failed_rows", "message", "sql")


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} '{value}'; use one of: {', '.join(allowed)}")


def _columns(schema: Iterable[Sequence[str]]) -> tuple[Column, ...]:
    return tuple((str(col), str(typ)) for col, typ in schema)


def _init_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls) if f.init}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """Columns added, removed, and whose type changed (``(column, before, after)``) between two schemas."""

    added: tuple[Column, ...] = ()
    removed: tuple[Column, ...] = ()
    type_changed: tuple[tuple[str, str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.type_changed)

    def to_dict(self) -> dict[str, list[list[str]]]:
        return {"added": [list(c) for c in self.added], "removed": [list(c) for c in self.removed],
                "type_changed": [list(c) for c in self.type_changed]}


def schema_diff(before: Iterable[Sequence[str]], after: Iterable[Sequence[str]]) -> SchemaDiff:
    """Compare two ``[(column, type), ...]`` schemas by column name (exact, case-sensitive)."""
    old, new = dict(_columns(before)), dict(_columns(after))
    return SchemaDiff(
        added=tuple((c, t) for c, t in new.items() if c not in old),
        removed=tuple((c, t) for c, t in old.items() if c not in new),
        type_changed=tuple((c, old[c], t) for c, t in new.items() if c in old and old[c] != t),
    )


# Column names and values that look like personal data: masked in samples unless the node says otherwise.
PERSONAL_COLUMN = re.compile(
    r"e_?mail|phone|mobile|\bfax\b|ssn|social_?security|passport|national_?id|tax_?id|birth|\bdob\b|"
    r"address|street|postcode|zip_?code|iban|card_?(num|no)|credit_?card|password|secret|"
    r"(first|last|full|given|family|sur|maiden)_?name", re.I)
PERSONAL_VALUE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")  # an e-mail address


def mask_sample(rows: Iterable[Mapping[str, Any]], sensitive: bool | Iterable[str] | None) -> list[dict[str, Any]]:
    """Copy ``rows`` with sensitive values replaced by ``"***"`` (None stays None).

    ``sensitive`` is True (every column), a list of column names (matched case-insensitively), False (the
    node says its sample is safe: nothing masked), or None (not set: columns whose name looks like personal
    data, and values that look like e-mail addresses, are masked).
    """
    rows = list(rows)
    if sensitive is True:
        return [{k: None if v is None else MASK for k, v in row.items()} for row in rows]
    if sensitive is None:
        names = {k.lower() for row in rows[:1] for k in row if PERSONAL_COLUMN.search(k)}
        return [{k: MASK if v is not None and (k.lower() in names or _looks_personal(v)) else v
                 for k, v in row.items()} for row in rows]
    names = {str(c).lower() for c in sensitive} if sensitive else set()
    return [{k: MASK if k.lower() in names and v is not None else v for k, v in row.items()} for row in rows]


def _looks_personal(value: Any) -> bool:
    return isinstance(value, str) and len(value) < 320 and PERSONAL_VALUE.match(value.strip()) is not None


def validation_record(outcome: Any) -> dict[str, Any]:
    """A JSON-ready dict of one validation result (a ``TestOutcome`` or a mapping with its keys)."""
    get = outcome.get if isinstance(outcome, Mapping) else lambda k, d=None: getattr(outcome, k, d)
    record = {k: get(k) for k in VALIDATION_KEYS}
    record["passed"] = bool(record["passed"])
    record["failed_rows"] = int(record["failed_rows"] or 0)
    record["message"] = record["message"] or ""
    if (stage := get("stage")) and stage != "test":  # a contract (on the input) or the quality gate
        record["stage"] = stage
    return record


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """Where a node wrote, in which mode, and whether an idempotent re-run skipped the write."""

    location: str
    mode: str
    skipped: bool = False
    skip_reason: str | None = None  # "unchanged" (skip_if_unchanged); None: an idempotent re-run

    @classmethod
    def coerce(cls, value: Any) -> WriteRecord | None:
        """From a WriteRecord, a mapping, or any object with location/mode/skipped (``WriteOutcome``)."""
        if value is None or isinstance(value, WriteRecord):
            return value
        get = value.get if isinstance(value, Mapping) else lambda k, d=None: getattr(value, k, d)
        details = get("details") or {}
        reason = get("skip_reason") or (details.get("skipped") if isinstance(details, Mapping) else None)
        return cls(str(get("location")), str(get("mode")), bool(get("skipped", False)),
                   str(reason) if reason else None)

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "mode": self.mode, "skipped": self.skipped,
                **({"skip_reason": self.skip_reason} if self.skip_reason else {})}


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """An error's class name, message and formatted traceback."""

    type: str
    message: str
    traceback: str = ""

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorRecord:
        text = "".join(tb.format_exception(type(exc), exc, exc.__traceback__))
        return cls(type(exc).__name__, str(exc), text)

    @classmethod
    def coerce(cls, value: Any) -> ErrorRecord | None:
        """From an ErrorRecord, an exception, or a mapping with type/message/traceback."""
        if value is None or isinstance(value, ErrorRecord):
            return value
        if isinstance(value, BaseException):
            return cls.from_exception(value)
        return cls(str(value["type"]), str(value["message"]), str(value.get("traceback") or ""))

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeStory:
    """Everything one node run did; ``schema_diff`` is computed from ``schema_in`` and ``schema_out``.

    Inputs are normalised: ``write`` accepts a ``WriteOutcome``, ``error`` an exception, ``validation``
    ``TestOutcome`` objects. ``sample`` must already be masked (see :func:`mask_sample`).
    """

    run_id: str
    project: str
    node_id: str
    pipeline: str
    layer: str
    engine: str
    status: NodeStatus
    started_at: float
    finished_at: float
    duration_s: float | None = None  # None: finished_at - started_at
    attempts: int = 1
    rows_in: Mapping[str, int] = field(default_factory=dict)
    rows_out: int | None = None
    rows_written: int | None = None
    schema_in: tuple[Column, ...] = ()
    schema_out: tuple[Column, ...] = ()
    input_schemas: Mapping[str, tuple[Column, ...]] = field(default_factory=dict)
    sample: tuple[dict[str, Any], ...] = ()
    sql: tuple[str, ...] = ()
    steps: tuple[dict[str, Any], ...] = ()  # {kind, name, sql, params, duration_s} per transform step
    validation: tuple[dict[str, Any], ...] = ()
    quarantined_rows: int = 0
    quarantine_target: str | None = None
    rows_rejected: int = 0  # malformed rows ignore_errors dropped from the read
    warnings: tuple[str, ...] = ()  # what needs a look although the node ran
    write: WriteRecord | None = None
    error: ErrorRecord | None = None
    retryable: bool | None = None
    story_path: str | None = None
    upstream: tuple[str, ...] = ()  # the node ids this node ran after (the run graph's edges)
    level: int | None = None  # the node's depth in the plan (the graph's column); None in old records
    max_attempts: int | None = None  # 1 + the node's retries; None when not known (old records)
    failed_step: str | None = None  # where a failed node stopped: "step 2 (function clean)", "read"...
    columns: Mapping[str, Any] = field(default_factory=dict)  # the node's column docs: name -> {description, ...}

    def __post_init__(self) -> None:
        _check(self.status, NODE_STATUSES, "node status")
        normalised = {
            "duration_s": self.finished_at - self.started_at if self.duration_s is None else self.duration_s,
            "rows_in": MappingProxyType({str(k): int(v) for k, v in self.rows_in.items()}),
            "schema_in": _columns(self.schema_in),
            "schema_out": _columns(self.schema_out),
            "input_schemas": MappingProxyType({str(k): _columns(v) for k, v in self.input_schemas.items()}),
            "steps": tuple(dict(step) for step in self.steps),
            "sample": tuple(dict(row) for row in self.sample),
            "sql": tuple(str(s) for s in self.sql),
            "validation": tuple(validation_record(v) for v in self.validation),
            "warnings": tuple(str(w) for w in self.warnings),
            "write": WriteRecord.coerce(self.write),
            "error": ErrorRecord.coerce(self.error),
            "story_path": None if self.story_path is None else str(self.story_path),
            "upstream": tuple(str(u) for u in self.upstream),
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)

    @property
    def schema_diff(self) -> SchemaDiff:
        return schema_diff(self.schema_in, self.schema_out)

    @property
    def failed_tests(self) -> tuple[dict[str, Any], ...]:
        return tuple(v for v in self.validation if not v["passed"])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, including the computed ``schema_diff``."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(
            rows_in=dict(self.rows_in), schema_in=[list(c) for c in self.schema_in],
            schema_out=[list(c) for c in self.schema_out], schema_diff=self.schema_diff.to_dict(),
            input_schemas={k: [list(c) for c in v] for k, v in self.input_schemas.items()},
            steps=[dict(step) for step in self.steps],
            sample=[dict(r) for r in self.sample], sql=list(self.sql), warnings=list(self.warnings),
            upstream=list(self.upstream),
            validation=[dict(v) for v in self.validation],
            write=self.write.to_dict() if self.write else None, error=self.error.to_dict() if self.error else None,
        )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeStory:
        """The inverse of :meth:`to_dict` (``schema_diff`` and unknown keys are ignored)."""
        return cls(**_init_fields(cls, data))


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """One node's line in the run summary: with its start and upstream nodes, the run's timeline and graph."""

    node_id: str
    status: str
    duration_s: float | None = None
    pipeline: str | None = None
    layer: str | None = None
    started_at: float | None = None  # None in summaries written before it was recorded
    upstream: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "upstream", tuple(str(u) for u in self.upstream))


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStory:
    """The run summary: timings, status, counts, and each node's status in record order."""

    run_id: str
    project: str
    started_at: float
    finished_at: float | None = None
    status: str = "running"
    completed: int = 0
    failed: int = 0
    skipped: int = 0
    nodes: tuple[NodeSummary, ...] = ()
    version: str | None = None  # the project's version
    environment: str | None = None  # the project's system.environment tag

    def __post_init__(self) -> None:
        _check(self.status, RUN_STATUSES, "run status")
        nodes = tuple(n if isinstance(n, NodeSummary) else NodeSummary(**n) for n in self.nodes)
        object.__setattr__(self, "nodes", nodes)

    @property
    def duration_s(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at

    @classmethod
    def from_nodes(cls, stories: Sequence[NodeStory], *, run_id: str, project: str, started_at: float | None = None,
                   finished_at: float | None = None) -> RunStory:
        """Summarise node stories; timings default to the earliest start and the latest finish."""
        statuses = [s.status for s in stories]
        starts, ends = [s.started_at for s in stories], [s.finished_at for s in stories]
        return cls(
            run_id=run_id, project=project,
            started_at=started_at if started_at is not None else min(starts, default=0.0),
            finished_at=finished_at if finished_at is not None else max(ends, default=None),
            status="failed" if "failed" in statuses else "success",
            completed=sum(s in ("success", "warning") for s in statuses),
            failed=statuses.count("failed"), skipped=statuses.count("skipped"),
            nodes=tuple(NodeSummary(s.node_id, s.status, s.duration_s, s.pipeline, s.layer, s.started_at, s.upstream)
                        for s in stories),
        )

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["nodes"] = [{f.name: list(v) if isinstance(v := getattr(n, f.name), tuple) else v for f in fields(n)}
                        for n in self.nodes]
        out["duration_s"] = self.duration_s
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunStory:
        return cls(**_init_fields(cls, data))
