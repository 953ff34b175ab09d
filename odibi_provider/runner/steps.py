"""Apply a node's transform steps: SQL over ``df`` and named relations, built-in transformers, and
registered Python functions (a pandas DataFrame and an :class:`OdibiContext`, called as ``f(df,
context=..., **params)`` or, written Odibi's way, ``f(context, current=df, **params)``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..engines.base import Engine
from ..errors import ExecutionError
from ..manifest.sql_text import one_query
from ..plan.frozen import FrozenMap
from ..plan.model import PlanNode, StepSpec
from ..registry import REGISTRY, FunctionSpec
from .checks import cross_check
from .context import RunContext
from .deletes import detect_deletes
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


@dataclass(frozen=True)
class OdibiContext(StepContext):
    """The ``context`` a function receives (either style): Odibi's ``EngineContext`` API (``df``,
    ``columns``, ``schema``, ``engine_type``, ``spark``, ``get``, ``sql``, ``with_df``,
    ``register_temp_view``) beside :class:`StepContext`'s inputs, vars and run info."""

    df: Any = field(default=None, repr=False)
    _views: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def columns(self) -> list[str]:
        return list(self.df.columns)

    @property
    def schema(self) -> dict[str, str]:
        """Column name -> the engine's type name."""
        return dict(self._engine.schema(self._engine.function_output(self.df, self._variant)))

    @property
    def engine_type(self) -> str:
        """What ``current`` is: ``"spark"`` for a ``spark`` function, else ``"pandas"``."""
        return "spark" if self._variant == "spark" else "pandas"

    @property
    def spark(self) -> Any:
        """The SparkSession on the Spark engine, else None."""
        return getattr(self._engine, "session", None) if self._engine.name == "spark" else None

    def get(self, name: str) -> Any:
        """A dataset by name: a view registered here, else a named input or ``depends_on`` node."""
        return self._views[name] if name in self._views else self.input(name)

    def register_temp_view(self, name: str, df: Any) -> None:
        """Make ``df`` available to :meth:`sql` (and :meth:`get`) as ``name`` within this step."""
        self._views[name] = df

    def with_df(self, df: Any) -> OdibiContext:
        """A context holding ``df``, sharing this one's views."""
        return replace(self, df=df)

    def sql(self, query: str) -> OdibiContext:
        """Run ``query`` over ``df`` (the current frame), the node's inputs and registered views."""
        out = self._engine.function_output
        views = {name: out(frame, self._variant) for name, frame in self._views.items()}
        result = self._engine.sql(query, {**self._inputs, **views, "df": out(self.df, self._variant)})
        return self.with_df(self._engine.function_input(result, self._variant))


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
        return engine.sql(step.sql or "", {**relations, **({} if frame is None else {"df": frame})}), step.sql
    if step.name is None:  # the compiler gives every transformer and function step a name
        raise ExecutionError(f"a {step.kind} step without a name", node=node.id)
    if step.kind == "transformer" and (runner_step := RUNNER_STEPS.get(step.name)) is not None:
        return runner_step(ctx, node, engine, frame, relations, step.params.thaw())
    if step.kind == "transformer":
        return engine.transformer(step.name, step.params, frame, relations)
    spec = REGISTRY.resolve(step.name, engine.name, scope=scope)
    current = None if frame is None else engine.function_input(frame, spec.engine)  # None: it generates
    context = OdibiContext(node.id, ctx.run_id, ctx.plan.vars, relations, engine, spec.engine, df=current)
    if spec.odibi_style:
        output = _call_odibi_style(spec, step.params.thaw(), context)
    else:
        kwargs = step.params.thaw()  # lists and dicts as written, not frozen tuples
        if spec.wants_context:
            kwargs["context"] = context
        output = spec.func(current, **kwargs)
    if output is None:
        raise ExecutionError(f"function '{step.name}' returned None; return the DataFrame", node=node.id)
    return engine.function_output(output, spec.engine), None


def _call_odibi_style(spec: FunctionSpec, params: dict[str, Any], context: OdibiContext) -> Any:
    """Call ``f(context, [params_model], current=..., **params)`` as Odibi does; a returned context
    gives its ``df``."""
    kwargs: dict[str, Any] = {"current": context.df} if spec.wants_current else {}
    if spec.param_model is not None:
        output = spec.func(context, spec.param_model(**params), **kwargs)
    else:
        output = spec.func(context, **params, **kwargs)
    return output.df if isinstance(output, OdibiContext) else output


# transformers that need more than SQL over ``df`` (stored data, the inputs' counts): run by the runner
RunnerStep = Callable[[RunContext, PlanNode, Engine, Any, Mapping[str, Any], dict[str, Any]], tuple[Any, str | None]]
RUNNER_STEPS: dict[str, RunnerStep] = {"detect_deletes": detect_deletes, "cross_check": cross_check}

_SCOPES: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def _function_scope(ctx: RunContext) -> tuple[str, ...]:
    """Import the project's transform modules once per process (hosts run nodes in fresh processes)."""
    key = (ctx.plan.project_dir, ctx.plan.transform_modules)
    if key not in _SCOPES:
        _SCOPES[key] = tuple(REGISTRY.load_module(m, Path(ctx.plan.project_dir)) for m in ctx.plan.transform_modules)
    return _SCOPES[key]
