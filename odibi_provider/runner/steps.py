"""Apply a node's transform steps: SQL over ``df`` and named relations, built-in transformers, and
registered Python functions (which receive a pandas DataFrame and a :class:`StepContext`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExecutionError
from ..plan.model import PlanNode, StepSpec
from ..registry import REGISTRY
from .context import RunContext


@dataclass(frozen=True)
class StepContext:
    """What a Python transform may ask for: named inputs (as pandas), vars, and run information."""

    node_id: str
    run_id: str
    vars: Mapping[str, Any]
    _inputs: Mapping[str, Any] = field(repr=False)
    _engine: Any = field(repr=False)
    _variant: str = field(default="any", repr=False)

    def input(self, name: str) -> Any:
        """A named input (or a ``depends_on`` node by name), as the function's own frame type (pandas,
        or a Spark DataFrame for a ``spark`` function)."""
        if name not in self._inputs:
            raise KeyError(f"no input '{name}' in node {self.node_id}; available: {sorted(self._inputs)}")
        return _function_input(self._engine, self._inputs[name], self._variant)

    @property
    def input_names(self) -> list[str]:
        return sorted(self._inputs)


def apply_steps(ctx: RunContext, node: PlanNode, frame: Any, relations: Mapping[str, Any],
                executed_sql: list[str]) -> Any:
    """Run every step in order; return the final frame. SQL run is appended to ``executed_sql``."""
    engine = ctx.engine_for(node.engine)
    scope = _function_scope(ctx)
    for index, step in enumerate(node.steps):
        where = f"step {index + 1} ({step.kind}{' ' + step.name if step.name else ''})"
        try:
            frame = _apply(ctx, node, step, frame, relations, engine, scope, executed_sql)
        except ExecutionError as exc:
            raise ExecutionError(f"{where}: {exc}", node=node.id) from exc
    return frame


def _apply(ctx: RunContext, node: PlanNode, step: StepSpec, frame: Any, relations: Mapping[str, Any],
           engine: Any, scope: tuple[str, ...], executed_sql: list[str]) -> Any:
    if step.kind == "sql":
        executed_sql.append(step.sql or "")
        return engine.sql(step.sql, {**relations, "df": frame})
    if step.kind == "transformer":
        result, sql = engine.transformer(step.name, step.params, frame, relations)
        executed_sql.append(sql)
        return result
    spec = REGISTRY.resolve(step.name, engine.name, scope=scope)
    kwargs = dict(step.params)
    if spec.wants_context:
        kwargs["context"] = StepContext(node.id, ctx.run_id, ctx.plan.vars, relations, engine, spec.engine)
    output = spec.func(_function_input(engine, frame, spec.engine), **kwargs)
    if output is None:
        raise ExecutionError(f"function '{step.name}' returned None; return the DataFrame", node=node.id)
    hook = getattr(engine, "function_output", None)
    return hook(output, spec.engine) if hook else engine.from_pandas(output)


def _function_input(engine: Any, frame: Any, variant: str) -> Any:
    """What a function of engine ``variant`` receives: the engine's choice (a Spark DataFrame for a
    ``spark`` function on Spark), else pandas."""
    hook = getattr(engine, "function_input", None)
    return hook(frame, variant) if hook else engine.to_pandas(frame)


_SCOPES: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def _function_scope(ctx: RunContext) -> tuple[str, ...]:
    """Import the project's transform modules once per process (hosts run nodes in fresh processes)."""
    key = (ctx.plan.project_dir, ctx.plan.transform_modules)
    if key not in _SCOPES:
        _SCOPES[key] = tuple(REGISTRY.load_module(m, Path(ctx.plan.project_dir)) for m in ctx.plan.transform_modules)
    return _SCOPES[key]
