"""The transform function registry: ``@transform`` registers Python functions that ``function`` steps call.

Two calling styles, told apart by the signature:

- ours: the current DataFrame first, an optional ``context`` keyword (named inputs, vars, run info), then
  the ``params`` as keywords: ``def f(df, context=None, threshold=1)``;
- Odibi's: ``context`` first, the DataFrame as the ``current`` keyword (optional), then the params:
  ``def f(context, current, threshold=1)``; with ``param_model=`` the params arrive as one model instance.

Several engine variants may share a name; resolution picks the exact engine, then ``any``.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib
import importlib.util
import inspect
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

from ._suggest import did_you_mean, known
from .errors import RegistryError

Engine = Literal["pandas", "spark", "any"]
ENTRY_POINT_GROUP = "odibi_provider.transforms"
CONTEXT_PARAM = "context"
CURRENT_PARAM = "current"
ODIBI_IMPORT_HINT = "from odibi_provider import transform"
# Odibi dispatches these ``transformer:`` names to its patterns before its function registry, so a
# project function of the same name never replaces them; any other built-in yields to a project function.
PATTERN_NAMES = frozenset({"scd2", "merge", "dimension", "date_dimension", "aggregation", "fact"})
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One registered function variant."""

    name: str
    engine: Engine
    func: Callable[..., Any] = field(repr=False, compare=False)
    version: str | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None
    param_model: Any = field(default=None, compare=False)
    author: str | None = None

    @property
    def odibi_style(self) -> bool:
        """Odibi's ``(context, current, **params)`` convention: the first parameter is named ``context``."""
        return next(iter(inspect.signature(self.func).parameters)) == CONTEXT_PARAM

    @property
    def wants_current(self) -> bool:
        """Whether the function receives the DataFrame (always in our style; via ``current`` in Odibi's)."""
        return not self.odibi_style or CURRENT_PARAM in inspect.signature(self.func).parameters

    @property
    def qualified_name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    @property
    def param_names(self) -> tuple[str, ...]:
        """The names ``params`` may use: the param model's fields, else every parameter after the
        DataFrame (Odibi style: after ``context``) except ``context`` and ``current``."""
        if self.param_model is not None:
            return tuple(self.param_model.model_fields)
        return tuple(p.name for p in self._params() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    @property
    def required_params(self) -> tuple[str, ...]:
        if self.param_model is not None:
            return tuple(n for n, f in self.param_model.model_fields.items() if f.is_required())
        return tuple(p.name for p in self._params()
                     if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    @property
    def accepts_any_params(self) -> bool:
        if self.param_model is not None:
            return self.param_model.model_config.get("extra") == "allow"
        return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(self.func).parameters.values())

    @property
    def wants_context(self) -> bool:
        params = inspect.signature(self.func).parameters
        return CONTEXT_PARAM in params or self.accepts_any_params

    @property
    def injected(self) -> tuple[str, ...]:
        """The arguments the runner passes itself (``context``, the DataFrame): a ``params`` key of the same
        name would reach the function twice ("got multiple values for argument 'context'")."""
        names = list(inspect.signature(self.func).parameters)
        if self.odibi_style:
            return (CONTEXT_PARAM, CURRENT_PARAM) if self.wants_current else (CONTEXT_PARAM,)
        return (names[0], CONTEXT_PARAM) if self.wants_context else (names[0],)

    def param_errors(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        """``(param, message)`` for each value the ``param_model`` rejects (Odibi checks them before the run)."""
        if self.param_model is None:
            return []
        from pydantic import ValidationError

        try:
            self.param_model(**params)
        except ValidationError as exc:
            return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()
                    if e["type"] not in ("missing", "extra_forbidden")]  # names are checked by the compiler
        return []

    def source_hash(self) -> str:
        """A hash of the function's source (its bytecode when the source is not available)."""
        return _source_hash(self.func)

    def _params(self) -> list[inspect.Parameter]:
        params = list(inspect.signature(self.func).parameters.values())[1:]
        injected = (CONTEXT_PARAM, CURRENT_PARAM) if self.odibi_style else (CONTEXT_PARAM,)
        return [p for p in params if p.name not in injected]


_HASHES: dict[Callable[..., Any], str] = {}
# Functions defined in a project's own files belong to that file's module, whichever Registry asks:
# module name -> (name, engine) -> spec. Two projects may both define ``clean`` without conflict.
_PROJECT_SPECS: dict[str, dict[tuple[str, str], FunctionSpec]] = {}


def _source_hash(func: Callable[..., Any]) -> str:
    cached = _HASHES.get(func)
    if cached is None:
        try:
            payload = inspect.getsource(func).encode()
        except (OSError, TypeError):
            code = getattr(func, "__code__", None)
            payload = code.co_code + repr(code.co_consts).encode() if code else repr(func).encode()
        cached = _HASHES[func] = hashlib.sha256(payload).hexdigest()[:16]
    return cached


class Registry:
    """A thread-safe set of function variants keyed by (name, engine)."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], FunctionSpec] = {}
        self._lock = threading.Lock()
        self._loaded_entry_points = False

    def register(self, func: Callable[..., Any], *, name: str | None = None, engine: Engine = "any",
                 version: str | None = None, tags: Iterable[str] = (), param_model: Any = None,
                 author: str | None = None) -> FunctionSpec:
        """Register ``func``; re-registering the same function (a re-import) replaces it.

        ``param_model`` (a pydantic model, as in Odibi) checks the params at compile time and is passed
        to an Odibi-style function as one instance after ``context``."""
        if engine not in ("pandas", "spark", "any"):
            raise RegistryError(f"engine must be 'pandas', 'spark' or 'any', got {engine!r} for "
                                f"{func.__qualname__}")
        if not list(inspect.signature(func).parameters):
            raise RegistryError(f"transform {func.__qualname__} must take the DataFrame (or, Odibi style, "
                                f"'context') as its first parameter")
        if param_model is not None and not hasattr(param_model, "model_fields"):
            raise RegistryError(f"param_model of {func.__qualname__} must be a pydantic model class, "
                                f"got {param_model!r}")
        spec = FunctionSpec(name=name or func.__name__, engine=engine, func=func, version=version,
                            tags=tuple(tags), description=inspect.getdoc(func), param_model=param_model,
                            author=author)
        with self._lock:
            if func.__module__.startswith(PROJECT_MODULE_PREFIX):
                _PROJECT_SPECS.setdefault(func.__module__, {})[(spec.name, engine)] = spec
                return spec
            existing = self._specs.get((spec.name, engine))
            if existing and existing.qualified_name != spec.qualified_name:
                raise RegistryError(
                    f"transform '{spec.name}' (engine {engine}) is registered twice: by "
                    f"{existing.qualified_name} and by {spec.qualified_name}; rename one with "
                    f"@transform(name=...) or give them different engines")
            self._specs[(spec.name, engine)] = spec
        return spec

    def resolve(self, name: str, engine: str, *, scope: Iterable[str] = ()) -> FunctionSpec:
        """The variant for ``engine``, else the ``any`` variant; a RegistryError says what exists.

        ``scope`` names project transform modules (from :meth:`load_module`); their functions are
        looked up first, so two projects in one process may both define ``clean_orders``.
        """
        self.load_entry_points()
        layers = [_PROJECT_SPECS.get(m, {}) for m in scope] + [self._specs]
        for key in ((name, engine), (name, "any")):
            for layer in layers:
                if key in layer:
                    return layer[key]
        variants = sorted({e for layer in layers for n, e in layer if n == name})
        if variants:
            raise RegistryError(f"transform '{name}' has no '{engine}' or 'any' variant (it has: "
                                f"{', '.join(variants)}); register one with @transform(engine='{engine}')")
        names = {n for layer in layers for n, _ in layer}
        hint = did_you_mean(name, names) or f"registered: {known(names)}"
        raise RegistryError(f"unknown transform '{name}'; {hint}")

    def find(self, name: str, engine: str, *, scope: Iterable[str] = ()) -> FunctionSpec | None:
        """Like :meth:`resolve`, but None when nothing of that name is registered for ``engine``."""
        try:
            return self.resolve(name, engine, scope=scope)
        except RegistryError:
            return None

    def names(self) -> list[str]:
        """Names of the globally registered functions (installed libraries and imported modules)."""
        return sorted({n for n, _ in self._specs})

    def list(self, *, tag: str | None = None, engine: str | None = None) -> list[FunctionSpec]:
        """Registered variants, optionally only those with ``tag`` or for ``engine``."""
        self.load_entry_points()
        specs = sorted(self._specs.values(), key=lambda s: (s.name, s.engine))
        return [s for s in specs if (tag is None or tag in s.tags) and (engine is None or s.engine == engine)]

    def search(self, text: str) -> builtins.list[FunctionSpec]:  # ``list`` is the method above
        """Variants whose name, tags or description mention ``text`` (case-insensitive)."""
        needle = text.lower()
        return [s for s in self.list()
                if needle in s.name.lower() or any(needle in t.lower() for t in s.tags)
                or needle in (s.description or "").lower()]

    def load_entry_points(self) -> None:
        """Import installed libraries that declare the ``odibi_provider.transforms`` entry point."""
        if self._loaded_entry_points:
            return
        self._loaded_entry_points = True
        for point in entry_points(group=ENTRY_POINT_GROUP):
            loaded = point.load()
            if callable(loaded) and not inspect.ismodule(loaded):
                loaded(self)

    def load_module(self, module: str, base_dir: Path) -> str:
        """Import a module by dotted name or by file path (relative to ``base_dir``); return its name."""
        if module.endswith(".py") or "/" in module:
            return load_file(base_dir / module)
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            _raise_if_odibi_import(exc)
            raise
        return module


PROJECT_MODULE_PREFIX = "odibi_project_"


def load_file(path: Path) -> str:
    """Import a Python file under a stable module name derived from its path, once per version."""
    path = path.resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    module_name = f"{PROJECT_MODULE_PREFIX}{digest}_{path.stem}"
    mtime = path.stat().st_mtime_ns
    current = sys.modules.get(module_name)
    if current is not None and getattr(current, "__odibi_mtime__", None) == mtime:
        return module_name
    _PROJECT_SPECS.pop(module_name, None)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for exotic paths
        raise RegistryError(f"cannot import transforms from {path}")
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__odibi_mtime__"] = mtime  # a marker attribute that ModuleType does not declare
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        del sys.modules[module_name]
        _raise_if_odibi_import(exc)
        raise
    except Exception:
        del sys.modules[module_name]
        raise
    return module_name


def _raise_if_odibi_import(exc: ModuleNotFoundError) -> None:
    """Turn a failed ``import odibi...`` into a RegistryError naming the file, the line and the fix; the
    traceback is kept, so its last frame is still the importing line."""
    if exc.name == "odibi" or (exc.name or "").startswith("odibi."):
        raise RegistryError(_odibi_import_hint(exc)).with_traceback(exc.__traceback__) from exc


def _odibi_import_hint(exc: ModuleNotFoundError) -> str:
    """Where a project module imports Odibi itself (the innermost frame), and the line to write instead."""
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    text = (last.line or "").strip() if last else ""
    where = f"{last.filename}:{last.lineno}" if last else "a transforms module"
    if "transform" in text.split("import", 1)[-1]:
        fix = f"replace it with `{ODIBI_IMPORT_HINT}` (same decorator forms; Odibi-style " \
              f"(context, current, **params) functions are called as Odibi calls them)"
    else:
        fix = f"odibi_provider does not provide `{text or exc.name}`; remove it and register functions " \
              f"with `{ODIBI_IMPORT_HINT}`"
    return f"{where}: `{text or 'import ' + str(exc.name)}` imports Odibi, which is not used here; {fix}"


REGISTRY = Registry()


@overload
def transform(func: F, /) -> F: ...
@overload
def transform(func: str | None = None, /, *, name: str | None = None, engine: Engine = "any",
              version: str | None = None, tags: Iterable[str] = (),
              param_model: Any = None) -> Callable[[F], F]: ...


def transform(func: Any = None, /, *, name: str | None = None, engine: Engine = "any",
              version: str | None = None, tags: Iterable[str] = (), param_model: Any = None) -> Any:
    """Register a transform function in the default registry; usable bare, with a name (Odibi's
    ``@transform("name")``) or with keywords.

    >>> @transform(engine="pandas", tags=["cleaning"])
    ... def drop_test_orders(df, context=None, prefix="TEST"):
    ...     return df[~df["order_id"].str.startswith(prefix)]
    """
    if isinstance(func, str):
        name, func = name or func, None

    def decorate(f: F) -> F:
        REGISTRY.register(f, name=name, engine=engine, version=version, tags=tags, param_model=param_model)
        return f

    return decorate(func) if func is not None else decorate


SEED_ENGINES: dict[str, Engine] = {"any": "any", "pandas": "pandas", "spark": "spark"}


def odibi_function(func: Any = None, /, *, engine: str = "any", version: str | None = None,
                   tags: Iterable[str] = (), author: str | None = None, name: str | None = None) -> Any:
    """odibi_de_v2's decorator: register ``func`` like :func:`transform`, with the seed's metadata.

    ``engine`` is ``"any"``, ``"pandas"`` or ``"spark"`` (an Engine enum's ``.value`` works too); two
    variants of one name for different engines are resolved by the node's engine, as in the seed.

    >>> @odibi_function(engine="pandas", version="1.0", author="data team")
    ... def clean_sales(context, **kwargs): ...
    """
    chosen = SEED_ENGINES.get(str(getattr(engine, "value", engine)).lower())
    if chosen is None:
        raise RegistryError(f"odibi_function(engine={engine!r}): use 'any', 'pandas' or 'spark'")

    def decorate(f: F) -> F:
        REGISTRY.register(f, name=name, engine=chosen, version=version, tags=tags, author=author)
        return f

    return decorate(func) if func is not None else decorate
