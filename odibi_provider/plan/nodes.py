"""Build one node's specs (read, steps, tests, write) and check what the model alone cannot:
connections exist and fit the format, functions resolve, and params bind to their signatures."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._suggest import did_you_mean, known
from ..engines.sql.library_relational import REFUSED as REFUSED_TRANSFORMERS
from ..errors import Problem, RegistryError
from ..manifest.models import (
    FunctionStep,
    NodeConfig,
    QuarantineConfig,
    ReadConfig,
    SqlStep,
    WriteConfig,
)
from ..registry import PATTERN_NAMES, Registry
from .builtins import BUILTIN_TRANSFORMERS
from .catalog import catalog_location
from .frozen import FrozenMap
from .model import ConnectionSpec, IncrementalSpec, ReadSpec, StepSpec, TestSpec, WriteSpec
from .patterns_write import is_write_operation
from .write_options import delta_options, metadata_columns

Path_ = tuple[Any, ...]
Report = Callable[..., None]
FILE_FORMATS = frozenset({"csv", "json", "parquet", "delta", "excel"})
_OWN_FORMAT = {"sql": "sql", "http": "api"}  # connection types that serve one format only


@dataclass(slots=True)
class NodeBuilder:
    """Builds specs for the nodes of one project, reporting problems through ``report``."""

    connections: dict[str, ConnectionSpec]
    registry: Registry
    report: Report
    scope: tuple[str, ...] = ()
    function_hashes: list[str] = field(default_factory=list)

    def read(self, cfg: ReadConfig | None, path: Path_) -> ReadSpec | None:
        if cfg is None:
            return None
        self._check_connection(cfg.connection, cfg.format, (*path, "read"))
        inc = cfg.incremental
        incremental = (IncrementalSpec(inc.column, inc.resolved_mode, inc.fallback_column, inc.window_seconds,
                                       inc.lag_seconds, inc.state_key, inc.date_format) if inc else None)
        target, table = self._location(cfg, (*path, "read"))
        return ReadSpec(connection=cfg.connection, format=cfg.format, path=target, table=table,
                        query=cfg.query, options=FrozenMap({**cfg.options, **cfg.archive_options}),
                        incremental=incremental)

    def write(self, cfg: WriteConfig | QuarantineConfig | None, path: Path_, *,
              read: ReadConfig | None = None, around: dict[str, list[str]] | None = None) -> WriteSpec | None:
        if cfg is None:
            return None
        self._check_connection(cfg.connection, cfg.format, path)
        target, table = self._location(cfg, path)
        if isinstance(cfg, QuarantineConfig):
            if bool(cfg.path) == bool(cfg.table):
                self.report("a quarantine needs exactly one of 'path' or 'table'", path)
            return WriteSpec(connection=cfg.connection, format=cfg.format, path=target, table=table,
                             mode="append")
        options = {**cfg.options, **delta_options(cfg), **{k: v for k, v in (around or {}).items() if v}}
        return WriteSpec(connection=cfg.connection, format=cfg.format, path=target, table=table,
                         mode=cfg.mode, keys=tuple(cfg.keys), options=FrozenMap(options),
                         partition_by=tuple(cfg.partition_by), merge_schema=cfg.merge_schema,
                         add_metadata=metadata_columns(cfg.add_metadata, read),
                         skip_unchanged=tuple(cfg.skip_hash_columns or ()) if cfg.skip_if_unchanged else None)

    def steps(self, node: NodeConfig, engine: str, path: Path_) -> tuple[StepSpec, ...]:
        steps: list[StepSpec] = []
        if node.transformer and not is_write_operation(node.transformer):  # scd2/merge: see patterns_write
            steps.append(self._transformer(node.transformer, node.params, engine, path))
        for index, step in enumerate(node.transform.steps if node.transform else []):
            step_path = (*path, "transform", "steps", index)
            if isinstance(step, str):
                steps.append(StepSpec(kind="sql", sql=step))
            elif isinstance(step, SqlStep):
                steps.append(StepSpec(kind="sql", sql=step.sql))
            elif isinstance(step, FunctionStep) and self._library(step.function, engine):  # Odibi's library
                steps.append(self._builtin(step.function, step.params, (*step_path, "function")))
            elif isinstance(step, FunctionStep):
                steps.append(self._function(step.function, step.params, engine, (*step_path, "function"),
                                            (*step_path, "params")))
        return tuple(steps)

    def tests(self, node: NodeConfig, tests: list[Any] | None = None) -> tuple[TestSpec, ...]:
        """The node's validation tests (or ``tests``, e.g. its contracts) as specs with unique names."""
        if tests is None and node.validation is None:
            return ()
        specs = []
        taken: dict[str, int] = {}
        for test in tests if tests is not None else node.validation.tests:  # type: ignore[union-attr]
            args = test.model_dump(exclude={"type", "name", "on_fail"}, exclude_none=True)
            name = test.name or _test_name(test.type, args)
            taken[name] = taken.get(name, 0) + 1
            name = name if taken[name] == 1 else f"{name}_{taken[name]}"
            specs.append(TestSpec(type=test.type, name=name, on_fail=test.on_fail, args=FrozenMap(args)))
        return tuple(specs)

    def _location(self, cfg: ReadConfig | WriteConfig | QuarantineConfig, path: Path_) -> tuple[str | None, str | None]:
        """``(path, table)``: a Delta catalog table as its path under the catalog root (``plan/catalog.py``)."""
        spec = self.connections.get(cfg.connection)
        return catalog_location(spec, cfg.format, cfg.path, cfg.table, self.report, path) if spec else (
            cfg.path, cfg.table)

    def _check_connection(self, name: str, fmt: str, path: Path_) -> None:
        spec = self.connections.get(name)
        if spec is None:
            hint = did_you_mean(name, self.connections) or f"defined connections: {known(self.connections)}"
            self.report(f"unknown connection '{name}'", (*path, "connection"), hint=hint, code="reference")
        elif _OWN_FORMAT.get(spec.type) != (fmt if fmt in _OWN_FORMAT.values() else None):
            wanted = ("a 'sql' connection" if fmt == "sql" else "an 'http' connection (base_url)" if fmt == "api"
                      else "a file connection (local, s3, azure, gcs)")
            self.report(f"format '{fmt}' needs {wanted}, but '{name}' is of type '{spec.type}'",
                        (*path, "format"), hint="change the format or the connection", code="reference")

    def generates(self, steps: tuple[StepSpec, ...], engine: str) -> bool:
        """Whether the first step is an Odibi-style function without ``current``: it makes the node's rows."""
        first = steps[0] if steps else None
        spec = (self.registry.find(first.name, engine, scope=self.scope)
                if first is not None and first.kind == "function" and first.name else None)
        return spec is not None and not spec.wants_current

    def _transformer(self, name: str, params: dict[str, Any], engine: str, path: Path_) -> StepSpec:
        """A built-in, or the project's function of that name: as in Odibi, a registered function
        replaces a built-in transformer, but never a pattern (``registry.PATTERN_NAMES``)."""
        if name not in PATTERN_NAMES and self.registry.find(name, engine, scope=self.scope) is not None:
            return self._function(name, params, engine, (*path, "transformer"), (*path, "params"))
        return self._builtin(name, params, (*path, "transformer"))

    def _library(self, name: str, engine: str) -> bool:
        """A ``function:`` step naming a built-in (or refused) transformer no project function replaces."""
        return ((name in BUILTIN_TRANSFORMERS or name in REFUSED_TRANSFORMERS)
                and self.registry.find(name, engine, scope=self.scope) is None)

    def _builtin(self, name: str, params: dict[str, Any], path: Path_) -> StepSpec:
        signature = BUILTIN_TRANSFORMERS.get(name)
        if name in REFUSED_TRANSFORMERS:
            self.report(f"transformer '{name}' is not supported: {REFUSED_TRANSFORMERS[name]}", path,
                        code="reference")
        elif signature is None:
            hint = did_you_mean(name, BUILTIN_TRANSFORMERS) or f"built-ins: {known(BUILTIN_TRANSFORMERS)}"
            self.report(f"unknown transformer '{name}'", path, hint=hint, code="reference")
        else:
            self._bind(f"transformer '{name}'", params, signature.names, signature.required, False,
                       (*path[:-1], "params"))
        return StepSpec(kind="transformer", name=name, params=FrozenMap(params))

    def _function(self, name: str, params: dict[str, Any], engine: str, name_path: Path_,
                  params_path: Path_) -> StepSpec:
        try:
            spec = self.registry.resolve(name, engine, scope=self.scope)
        except RegistryError as exc:
            self.report(str(exc), name_path, code="reference",
                        hint="functions come from the project's transforms.py, the modules under "
                             "'transforms:', or installed odibi_provider.transforms entry points")
            return StepSpec(kind="function", name=name, params=FrozenMap(params), engine=engine)
        self._bind(f"function '{name}'", params, spec.param_names, spec.required_params,
                   spec.accepts_any_params, params_path)
        for param in (p for p in spec.injected if p in params and spec.accepts_any_params):
            self.report(f"function '{name}' receives '{param}' from the runner; the param '{param}' would be "
                        f"passed twice (multiple values for argument '{param}')", (*params_path, param),
                        code="params", hint=f"rename the param; the runner passes '{param}' itself")
        for param, message in spec.param_errors(params):
            self.report(f"function '{name}': {message}", (*params_path, param), code="params",
                        hint=f"see the fields of {spec.param_model.__name__}")
        source_hash = spec.source_hash()
        self.function_hashes.append(source_hash)
        return StepSpec(kind="function", name=spec.name, params=FrozenMap(params), engine=spec.engine,
                        version=spec.version, source_hash=source_hash)

    def _bind(self, what: str, params: dict[str, Any], names: tuple[str, ...], required: tuple[str, ...],
              open_ended: bool, path: Path_) -> None:
        """Check ``params`` against a signature; a misspelt required name is one problem, not two."""
        expected = f"expected parameters: {', '.join(names) or '(none)'}"
        missing = [n for n in required if n not in params]
        unknown = [] if open_ended else [n for n in params if n not in names]
        for name in unknown:
            hint = did_you_mean(name, names)
            close = difflib.get_close_matches(name, missing, n=1, cutoff=0.6)
            if close:
                missing.remove(close[0])
            self.report(f"{what} has no parameter '{name}'", (*path, name),
                        hint=f"{hint} {expected}" if hint else expected, code="params")
        if missing:
            self.report(f"{what} is missing parameter(s) {', '.join(missing)}", path, hint=expected,
                        code="params")


def _test_name(kind: str, args: dict[str, Any]) -> str:
    """A readable default name: the type, then its column(s) (``not_null_id``, ``unique_a_b``,
    ``not_null_order_id_and_3_more``); a table-level test is its type, as Odibi names it (``row_count``).
    Repeats get ``_2``, ``_3``... (check names are unique per asset)."""
    columns = [str(c) for c in (args.get("columns") or ([args["column"]] if "column" in args else []))]
    if len(columns) > 2:
        columns = [columns[0], f"and_{len(columns) - 1}_more"]
    return "_".join([kind, *columns])


def report_into(problems: list[Problem], locate: Callable[..., Problem]) -> Report:
    """A ``report(message, path, **kw)`` that appends located problems to ``problems``."""

    def report(message: str, path: Path_, **kwargs: Any) -> None:
        problems.append(locate(message, path, **kwargs))

    return report
