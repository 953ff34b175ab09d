"""``run_node``: run exactly one node (never its ancestors): inputs -> read -> steps -> validation ->
write -> events -> story record. Local retries follow the node's ``retry`` unless a host owns retries."""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Any

from ..connections.masking import mask_secrets
from ..engines.base import Engine, TestOutcome, ValidationOutcome, WriteOutcome
from ..errors import ExecutionError, OdibiError
from ..hooks.events import Event
from ..plan.model import Plan, PlanNode, ReadSpec, WriteSpec
from ..story.record import mask_sample
from . import skip_unchanged
from .checks import ContractViolation, check_contracts, needs_volume, prepared, previous_rows, remember_volume
from .context import Handoff, RunContext
from .failures import is_retryable
from .gates import GateBlocked, evaluate_gate, only_valid
from .incremental import apply_incremental, incremental_read_options, save_mark
from .inputs import gather
from .patterns import apply_pattern
from .quarantine import prune, with_metadata
from .results import NodeResult, Schema, StepRecord
from .schemas import remember_schema
from .steps import apply_steps
from .story_io import record_story
from .views import node_event
from .write_metadata import add_metadata

log = logging.getLogger("odibi_provider.runner")


class ValidationFailed(ExecutionError):
    """A ``fail`` validation test did not pass; the node's data was not written. Never retried."""

    def __init__(self, message: str, *, node: str | None = None) -> None:
        super().__init__(message, node=node, retryable=False)


@dataclass
class Trace:
    """What one attempt observed; :func:`_result` turns it into the node's :class:`NodeResult`."""

    started: float = field(default_factory=time.time)
    rows_in: dict[str, int] = field(default_factory=dict)
    input_schemas: dict[str, Schema] = field(default_factory=dict)
    schema_in: Schema = ()
    schema_out: Schema = ()
    steps: list[StepRecord] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    rows_out: int | None = None
    validation: ValidationOutcome | None = None
    quarantine_target: str | None = None
    write: WriteOutcome | None = None
    rows_rejected: int = 0
    rejects: Any = None  # the rows ignore_errors dropped, kept for the quarantine until the node writes
    warnings: list[str] = field(default_factory=list)
    contracts: tuple[TestOutcome, ...] = ()
    gate: TestOutcome | None = None


def run_node(plan: Plan, node_id: str, context: RunContext | None = None) -> NodeResult:
    """Run one node of ``plan`` and return its result; failures are returned, not raised."""
    ctx = context or RunContext(plan=plan)
    node = plan.node(node_id)
    attempts = node.retry.max_attempts if node.retry and ctx.retries == "local" else 1
    _emit(ctx, "node_start", node)
    trace, error = Trace(), None
    for attempt in range(1, attempts + 1):
        trace = Trace()
        try:
            _execute(ctx, node, trace)
            error = None
            break
        except Exception as exc:  # noqa: BLE001 (every failure becomes a result, an event and a story)
            error = exc
            if attempt < attempts and is_retryable(exc):
                delay = node.retry.delay(attempt) if node.retry else 0
                log.warning("node %s failed (attempt %d/%d), retrying in %.1fs: %s", node.id, attempt, attempts,
                            delay, mask_secrets(str(exc)))
                _emit(ctx, "node_retry", node, attempt=attempt, error=mask_secrets(str(exc)))
                time.sleep(delay)
            else:
                break
    result = _result(ctx, node, trace, error, attempt)
    result = replace(result, story_path=record_story(ctx, result))
    if error:
        log.error("node %s failed: %s", node.id, result.error)
    ctx.hooks.emit(node_event(result, node, run_id=ctx.run_id, project=ctx.plan.project))
    return result


def _execute(ctx: RunContext, node: PlanNode, trace: Trace) -> None:
    """Frames may be lazy (a query not yet run): nothing here forces a scan the write does not need."""
    engine = ctx.engine_for(node.engine)
    relations, frame = gather(ctx, node)
    for name, relation in relations.items():
        trace.input_schemas[name] = tuple(engine.schema(relation))
        if (rows := engine.known_count(relation)) is not None:
            trace.rows_in[name] = rows
    if node.read is not None:
        frame = engine.read(node.read, ctx.connection(node.read.connection),
                            options=incremental_read_options(ctx, node))
        if hasattr(type(frame), "num_columns") and frame.num_columns == 0:  # an api read that returned no records
            trace.rows_in["read"] = trace.rows_out = 0
            _warn(ctx, node, trace, "empty_read", "the read returned no records: nothing was run or written")
            return
        _rejects(ctx, node, engine, node.read, trace)
        frame = apply_incremental(ctx, node, engine, frame)
        trace.input_schemas["read"] = tuple(engine.schema(frame))
        if (rows := engine.known_count(frame)) is not None:
            trace.rows_in["read"] = rows
    read_frame = frame if node.read is not None else None  # counted after the steps if they materialized it
    if node.contracts:
        try:
            frame, trace.contracts = check_contracts(ctx, node, engine, frame)
        except ContractViolation as exc:
            trace.contracts = exc.outcomes
            raise
    frame = apply_pattern(ctx, node, engine, frame, relations, trace.steps)
    trace.schema_in = tuple(engine.schema(frame)) if frame is not None else ()  # None: a generating function
    frame = apply_steps(ctx, node, frame, relations, trace.steps)
    if read_frame is not None and "read" not in trace.rows_in and (rows := engine.known_count(read_frame)) is not None:
        trace.rows_in["read"] = rows  # a Python function step materialized the read: its count is free
    if node.tests or node.validation.gate is not None:
        frame = _validate(ctx, node, engine, frame, trace)
    _quarantine_rejects(ctx, node, engine, trace)  # past the gate and the blocking tests, as the quarantine
    frame = add_metadata(node, engine, frame)  # write.add_metadata: Odibi's lineage columns
    trace.schema_out = tuple(engine.schema(frame))
    consumers = bool(ctx.plan.downstream(node.id))
    if node.write is not None:
        connection = ctx.connection(node.write.connection)
        had_rows = _has_rows(engine, node.write, connection)
        trace.write = _write(ctx, node, engine, frame, connection)
        if had_rows and trace.write.rows_written == 0 and not trace.write.skipped:
            _warn(ctx, node, trace, "empty_overwrite", f"the overwrite replaced the non-empty dataset at "
                  f"'{trace.write.location}' with 0 rows; check the input, or add a volume_drop test to fail "
                  "such runs")
        trace.rows_out = trace.write.frame_rows if trace.write.frame_rows is not None else engine.count(frame)
        save_mark(ctx, node, engine, frame)
        output = engine.handoff(frame, node.write, connection) if consumers else frame
    else:
        frame = output = engine.materialize(frame)
        trace.rows_out = engine.count(frame)
        if ctx.persist_intermediate and consumers:
            engine.write_intermediate(frame, ctx.intermediate_location(node.id))
    if node.read is not None and "read" not in trace.rows_in and not node.steps and not node.tests:
        trace.rows_in["read"] = trace.rows_out  # read -> write: every row read was written
    elif node.read is not None and "read" not in trace.rows_in and not node.steps and trace.validation:
        trace.rows_in["read"] = trace.validation.rows  # the tests scanned every row read
    if needs_volume(node):
        remember_volume(ctx, node, trace.rows_out)
    remember_schema(ctx, node, trace.schema_out)  # the host shows these columns before the next run
    if ctx.plan.story.max_sample_rows:
        trace.sample = engine.sample(frame, ctx.plan.story.max_sample_rows)
    if consumers:
        ctx.memory[node.id] = Handoff(engine.name, output)


def _rejects(ctx: RunContext, node: PlanNode, engine: Engine, spec: ReadSpec, trace: Trace) -> None:
    """Count the rows ``ignore_errors`` dropped from the read; keep them for the quarantine target, which
    receives them only once the node passed its checks (:func:`_quarantine_rejects`)."""
    if not spec.options.get("ignore_errors"):
        return
    rejected = engine.read_rejects(spec, ctx.connection(spec.connection))
    trace.rows_rejected = engine.count(rejected) if rejected is not None else 0
    if trace.rows_rejected and node.quarantine is not None:
        trace.rejects = rejected
    elif trace.rows_rejected:
        _warn_rejects(ctx, node, trace, "no quarantine target, so they are not kept")


def _quarantine_rejects(ctx: RunContext, node: PlanNode, engine: Engine, trace: Trace) -> None:
    """Append the read's rejected rows to the quarantine target (a node that fails keeps none)."""
    if trace.rejects is not None:
        _warn_rejects(ctx, node, trace, f"written to {_quarantine(ctx, node, engine, trace.rejects, trace, 'rejects')}")


def _warn_rejects(ctx: RunContext, node: PlanNode, trace: Trace, where: str) -> None:
    _warn(ctx, node, trace, "rows_rejected", f"ignore_errors dropped {trace.rows_rejected} malformed row(s) "
          f"from the read ({where})", rows=trace.rows_rejected)


def _quarantine(ctx: RunContext, node: PlanNode, engine: Engine, rows: Any, trace: Trace, part: str) -> str:
    """Append ``rows`` to the node's quarantine target; return where they went. The target collects rows of
    different shapes (validation splits carry the data's columns, reader rejects the raw line), so new
    columns are merged into it (``merge_schema``); a column whose type changed still fails. Retention prunes
    before the append, so a retry of the node in the same run finds its own part and replaces it."""
    assert node.quarantine is not None
    target = replace(node.quarantine, merge_schema=True)
    rows = with_metadata(ctx, node, engine, rows) if part == "quarantine" else rows
    prune(ctx, node, engine)
    written = engine.write(rows, target, ctx.connection(target.connection), write_id=f"{ctx.write_id(node.id)}:{part}")
    trace.quarantine_target = written.location
    return written.location


def _write(ctx: RunContext, node: PlanNode, engine: Engine, frame: Any, connection: Any) -> WriteOutcome:
    """The node's write; with ``skip_if_unchanged``, no write when the output equals the last one written."""
    assert node.write is not None
    if node.write.skip_unchanged is None:
        return engine.write(frame, node.write, connection, write_id=ctx.write_id(node.id))
    digest = skip_unchanged.fingerprint(engine, node, frame)
    last = skip_unchanged.unchanged(ctx, node, digest, skip_unchanged.target_exists(engine, node, connection))
    if last is not None:
        log.info("node %s: skipping the write: content unchanged since run %s", node.id, last.get("run_id"))
        return skip_unchanged.skipped_outcome(node, last, str(last.get("location", "")))
    outcome = engine.write(frame, node.write, connection, write_id=ctx.write_id(node.id))
    skip_unchanged.remember(ctx, node, digest, outcome)
    return outcome


def _has_rows(engine: Engine, write: WriteSpec, connection: Any) -> bool:
    """Before an overwrite: does the file dataset hold at least one row? (one cheap lazy probe)"""
    if write.mode != "overwrite" or write.format not in ("csv", "json", "parquet") or not write.path:
        return False
    try:
        target = engine.read(write.as_read(), connection)
        return engine.count(engine.sql("SELECT 1 AS probe FROM df LIMIT 1", {"df": target})) > 0
    except Exception:  # noqa: BLE001 (no readable dataset yet: nothing to replace)
        return False


def _warn(ctx: RunContext, node: PlanNode, trace: Trace, kind: str, message: str, **values: Any) -> None:
    log.warning("node %s: %s", node.id, message)
    trace.warnings.append(message)
    _emit(ctx, "node_warning", node, error=message, details={"kind": kind, **values.pop("details", {})}, **values)


def _validate(ctx: RunContext, node: PlanNode, engine: Engine, frame: Any, trace: Trace) -> Any:
    """Tests, then the gate and the blocking tests (either stops the node before anything is written), then
    the quarantine."""
    spec, gate = node.validation, node.validation.gate
    outcome = engine.validate(frame, prepared(ctx, node, node.tests), gated=gate is not None)
    trace.validation = replace(outcome, quarantined=None, quarantined_rows=0)  # none set aside unless it writes
    failed = [t for t in outcome.tests if not t.passed]
    for test in failed:
        log.warning("node %s: validation '%s' (%s) failed: %s", node.id, test.name, test.on_fail, test.message)
        if spec.alert:
            _emit(ctx, "validation_failed", node, rows=test.failed_rows, error=test.message,
                  details={"test": test.name, "type": test.type, "on_fail": test.on_fail})
    verdict = None
    if gate is not None:
        verdict = evaluate_gate(gate, outcome, previous_rows(ctx, node) if gate.change_threshold is not None else None)
        trace.gate = verdict.outcome
        if verdict.blocks:
            _emit(ctx, "gate_blocked", node, rows=outcome.rows, error=verdict.outcome.message, details=verdict.details)
            raise GateBlocked(node.id, verdict.outcome.message)
    blocking = outcome.blocking_failures if spec.mode == "fail" else ()
    if blocking:
        messages = "; ".join(f"{t.name}: {t.message}" for t in blocking)
        raise ValidationFailed(f"validation failed: {messages}", node=node.id)
    trace.validation = outcome
    if outcome.quarantined is not None and outcome.quarantined_rows and node.quarantine is not None:
        _quarantine(ctx, node, engine, outcome.quarantined, trace, "quarantine")  # only when the node writes
    if gate is not None and verdict is not None and not verdict.outcome.passed:
        _warn(ctx, node, trace, "gate", f"quality gate failed (on_fail: {gate.on_fail}): {verdict.outcome.message}",
              details=verdict.details)
        if gate.on_fail == "write_valid_only":
            return only_valid(engine, frame, node.tests)
    return outcome.valid


def _result(ctx: RunContext, node: PlanNode, trace: Trace, error: Exception | None, attempts: int) -> NodeResult:
    """The node's record: everything the story, hosts and hooks show comes from here."""
    tests = trace.validation.tests if trace.validation else ()
    warned = any(not t.passed for t in (*tests, *trace.contracts)) or trace.warnings
    status = "failed" if error else ("warning" if warned else "success")
    dataset = ctx.plan.dataset(node.dataset) if node.dataset else None
    return NodeResult(
        node_id=node.id, status=status, pipeline=node.pipeline, layer=node.layer, engine=node.engine,
        started_at=trace.started, duration_s=time.time() - trace.started, attempts=attempts,
        rows_in=dict(trace.rows_in), input_schemas=dict(trace.input_schemas), rows_out=trace.rows_out,
        schema_in=trace.schema_in, schema_out=trace.schema_out, steps=tuple(trace.steps), tests=tuple(tests),
        quarantined_rows=trace.validation.quarantined_rows if trace.validation else 0,
        contracts=trace.contracts, gate=trace.gate,
        quarantine_target=trace.quarantine_target, write=trace.write, rows_rejected=trace.rows_rejected,
        warnings=tuple(trace.warnings),
        dataset_uri=dataset.uri if dataset else None,
        sample=tuple(mask_sample(trace.sample, node.sensitive)),
        error=mask_secrets(_message(error)) if error else None, error_type=type(error).__name__ if error else None,
        traceback=mask_secrets("".join(traceback.format_exception(error)))[-8000:] if error else None,
        retryable=is_retryable(error) if error else None)


def _message(error: BaseException) -> str:
    """The error as users read it; a DuckDB csv error deeper in the chain adds its file, line and fix."""
    text = str(error) if isinstance(error, OdibiError) else f"{type(error).__name__}: {error}"
    cause = error.__cause__
    while cause is not None and "CSV Error on Line" not in str(cause):
        cause = cause.__cause__
    if cause is None or cause is error:
        return text
    from ..engines.embedded.readers import csv_error

    detail = csv_error(cause)
    return text if detail in text else f"{text} ({detail})"


def _emit(ctx: RunContext, kind: str, node: PlanNode, **values: Any) -> None:
    ctx.hooks.emit(Event.for_node(kind, node, run_id=ctx.run_id, project=ctx.plan.project, **values))
