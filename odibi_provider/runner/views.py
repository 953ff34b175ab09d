"""Views of a :class:`NodeResult`: the story fragment, the hook event, the log lines hosts print.

Pure functions of the record (and the plan node for its labels), so every host shows the same facts
whether or not stories are written. Dagster's metadata is built from the same record in
:mod:`odibi_provider.dagster.metadata`.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from ..hooks.events import Event
from ..plan.model import PlanNode
from ..story.record import ErrorRecord, NodeStatus, NodeStory, WriteRecord, validation_record
from .results import NodeResult

LogLine = tuple[int, str]  # (logging level, message)


def node_story(result: NodeResult, *, run_id: str, project: str, node: PlanNode | None = None) -> NodeStory:
    """The node's story fragment; ``node`` (its plan node) adds the run graph's edges, the node's level, its
    retry budget and, for a failed node, the step it stopped in."""
    error = None
    if result.error is not None:
        error = ErrorRecord(result.error_type or "Error", result.error, result.traceback or "")
    write = result.write
    return NodeStory(
        run_id=run_id, project=project, node_id=result.node_id, pipeline=result.pipeline, layer=result.layer,
        engine=result.engine, status=cast(NodeStatus, result.status),
        started_at=result.started_at, finished_at=result.finished_at, duration_s=result.duration_s,
        attempts=result.attempts, rows_in=result.rows_in, rows_out=result.rows_out,
        rows_written=result.rows_written, schema_in=result.schema_in, schema_out=result.schema_out,
        input_schemas=result.input_schemas, sample=tuple(dict(row) for row in result.sample), sql=result.sql,
        steps=tuple(step.to_dict() for step in result.steps),
        validation=(*({**validation_record(c), "stage": "contract"} for c in result.contracts),
                    *(validation_record(test) for test in result.tests),
                    *([{**validation_record(result.gate), "stage": "gate"}] if result.gate else [])),
        quarantined_rows=result.quarantined_rows, quarantine_target=result.quarantine_target,
        rows_rejected=result.rows_rejected,
        warnings=(*result.warnings, *([result.skipped_reason] if result.skipped_reason else [])),
        write=WriteRecord.coerce(write) if write else None, error=error,
        retryable=result.retryable, story_path=result.story_path,
        upstream=node.upstream if node else (), level=node.level if node else None,
        max_attempts=(node.retry.max_attempts if node.retry else 1) if node else None,
        failed_step=failed_step(result, node) if node else None,
        columns=node.columns.thaw() if node is not None and node.columns else {})


def failed_step(result: NodeResult, node: PlanNode) -> str | None:
    """Where a failed node stopped: its read or inputs, a transform step (by position), or after the steps
    (tests, the write); None unless it failed."""
    if result.status != "failed":
        return None
    if not result.schema_in and (node.read is not None or node.upstream):
        return "read" if node.read is not None and not result.input_schemas.get("read") else "inputs"
    ran = sum(step.kind != "pattern" for step in result.steps)
    if ran < len(node.steps):
        step = node.steps[ran]
        return f"step {ran + 1} ({step.kind}{' ' + step.name if step.name else ''})"
    return "tests or write (after the steps)" if node.steps else "tests or write"


def node_event(result: NodeResult, node: PlanNode, *, run_id: str, project: str) -> Event:
    """``node_complete`` or ``node_error`` for the result (``node_skipped`` for a skipped node)."""
    values: dict[str, Any] = {"duration_s": result.duration_s, "attempt": result.attempts or None}
    if result.status == "skipped":
        return Event.for_node("node_skipped", node, run_id=run_id, project=project, error=result.skipped_reason)
    if not result.ok:
        details: dict[str, Any] = {"traceback": (result.traceback or "")[-4000:], "retryable": result.retryable,
                                   "error_type": result.error_type, "story_path": result.story_path}
        return Event.for_node("node_error", node, run_id=run_id, project=project, error=result.error,
                              details=details, **values)
    summary = {"rows_written": result.rows_written, "story_path": result.story_path, "status": result.status,
               "quarantined_rows": result.quarantined_rows, "rows_in": dict(result.rows_in),
               "rows_rejected": result.rows_rejected, "warnings": list(result.warnings),
               "quarantine_target": result.quarantine_target, "dataset_uri": result.dataset_uri,
               "failed_tests": [t.name for t in result.tests if not t.passed],
               "schema_out": [list(column) for column in result.schema_out],
               "input_schemas": {name: [list(c) for c in schema] for name, schema in result.input_schemas.items()}}
    return Event.for_node("node_complete", node, run_id=run_id, project=project, rows=result.rows_out,
                          details=summary, **values)


def log_lines(result: NodeResult) -> list[LogLine]:
    """What a host logs after a node ran: the outcome, failed tests, quarantine, where data went."""
    rows = f"rows out {result.rows_out}" if result.rows_out is not None else "no rows out"
    written = f", rows written {result.rows_written}" if result.rows_written is not None else ""
    lines: list[LogLine] = [(logging.INFO, f"odibi node {result.node_id}: {result.status} in "
                                           f"{result.duration_s:.2f}s ({rows}{written})")]
    checked = [("contract", t) for t in result.contracts] + [("validation", t) for t in result.tests]
    for stage, test in checked + ([("quality", result.gate)] if result.gate else []):
        if not test.passed:
            level = logging.ERROR if test.on_fail in ("fail", "abort") else logging.WARNING
            lines.append((level, f"{stage} '{test.name}' ({test.type}, on_fail: {test.on_fail}) failed on "
                                 f"{test.failed_rows} rows: {test.message}"))
    lines += [(logging.WARNING, f"odibi node {result.node_id}: {warning}") for warning in result.warnings]
    if result.write_skipped:
        lines.append((logging.INFO, f"odibi node {result.node_id}: write skipped ({result.write_skipped})"))
    if result.quarantined_rows:
        lines.append((logging.WARNING, f"{result.quarantined_rows} rows quarantined to "
                                       f"{result.quarantine_target or '(no quarantine target)'}"))
    if result.dataset_uri:
        lines.append((logging.INFO, f"odibi dataset: {result.dataset_uri}"))
    if result.story_path:
        lines.append((logging.INFO, f"odibi story: {result.story_path}"))
    if result.error:
        retry = "may pass on retry" if result.retryable else "will fail again on retry: not retried"
        lines.append((logging.ERROR, f"odibi node {result.node_id} failed ({retry}): {result.error}"))
    return lines
