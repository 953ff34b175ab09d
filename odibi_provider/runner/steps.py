"""Apply a node's transform steps: SQL over ``df`` and named relations, built-in transformers, and
registered Python functions (which receive a pandas DataFrame and a :class:`StepContext`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engines.base import Engine
from ..errors import ExecutionError
from ..manifest.sql_text import one_query
from ..plan.frozen import FrozenMap
from ..plan.model import PlanNode, StepSpec
from ..registry import REGISTRY
from .context import RunContext
from .results import StepRecord


@dataclass(frozen=True)
class StepContext:
    """What a Python transform may ask for: named inputs (as pandas), vars, and run information."""

    node_id: str
    run_id: str
    vars: Mapping[str, Any]
    _inputs: Mapping[str, Any] = field(repr=False)
    _engine: Engine = field(repr=False)
    _variant: str = field(default="any", repr=False)

    def input(self, name: str) -> Any:
        """A named input (or a ``depends_on`` node by name), as the function's own frame type (pandas,
        or a Spark DataFrame for a ``spark`` function)."""
        if name not in self._inputs:
            raise KeyError(f"no input '{name}' in node {self.node_id}; available: {sorted(self._inputs)}")
        return self._engine.function_input(self._inputs[name], self._variant)

    @property
    def input_names(self) -> list[str]:
        return sorted(self._inputs)


def apply_steps(ctx: RunContext, node: PlanNode, frame: Any, relations: Mapping[str, Any],
                records: list[StepRecord]) -> Any:
    """Run every step in order; return the final frame. Each step's record is appended to ``records``."""
    engine = ctx.engine_for(node.engine)
    scope = _function_scope(ctx)
    for index, step in enumerate(node.steps):
        where = f"step {index + 1} ({step.kind}{' ' + step.name if step.name else ''})"
        started = time.perf_counter()
        try:
            frame, sql = _apply(ctx, node, step, frame, relations, engine, scope)
        except ExecutionError as exc:
            raise ExecutionError(f"{where}: {exc}", node=node.id) from exc
        records.append(StepRecord(step.kind, step.name, sql, FrozenMap(step.params).thaw(),
                                  time.perf_counter() - started))
    return frame


def _apply(ctx: RunContext, node: PlanNode, step: StepSpec, frame: Any, relations: Mapping[str, Any],
           engine: Engine, scope: tuple[str, ...]) -> tuple[Any, str | None]:
    """The step's result and the SQL it ran (None for a Python function)."""
    if step.kind == "sql":
        if problem := one_query(step.sql or "")[1]:
            raise ExecutionError(f"{problem}; write one SELECT (use WITH for intermediate results)",
                                 retryable=False)
        return engine.sql(step.sql or "", {**relations, "df": frame}), step.sql
    if step.name is None:  # the compiler gives every transformer and function step a name
        raise ExecutionError(f"a {step.kind} step without a name", node=node.id)
    if step.kind == "transformer":
        return engine.transformer(step.name, step.params, frame, relations)
    spec = REGISTRY.resolve(step.name, engine.name, scope=scope)
    kwargs = dict(step.params)
    if spec.wants_context:
        kwargs["context"] = StepContext(node.id, ctx.run_id, ctx.plan.vars, relations, engine, spec.engine)
    output = spec.func(engine.function_input(frame, spec.engine), **kwargs)
    if output is None:
        raise ExecutionError(f"function '{step.name}' returned None; return the DataFrame", node=node.id)
    return engine.function_output(output, spec.engine), None


_SCOPES: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def _function_scope(ctx: RunContext) -> tuple[str, ...]:
    """Import the project's transform modules once per process (hosts run nodes in fresh processes)."""
    key = (ctx.plan.project_dir, ctx.plan.transform_modules)
    if key not in _SCOPES:
        _SCOPES[key] = tuple(REGISTRY.load_module(m, Path(ctx.plan.project_dir)) for m in ctx.plan.transform_modules)
    return _SCOPES[key]
