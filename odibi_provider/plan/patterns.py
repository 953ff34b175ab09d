"""Compile a node's dimensional pattern (``pattern: {type, params}``, or the same name as ``transformer:``)
into a :class:`PatternSpec`: Odibi's params checked against its models, with Odibi's defaults filled in.

``dimension``, ``date_dimension``, ``fact`` and ``aggregation`` run at the start of the node's steps
(``runner/patterns.py``); ``date_dimension`` generates its rows, so its node needs no read or upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .._suggest import did_you_mean, known
from ..manifest.models import NodeConfig
from ..registry import PATTERN_NAMES
from .frozen import FrozenMap
from .model import PatternSpec

Report = Callable[..., None]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Audit(_Params):
    load_timestamp: bool = True
    source_system: str | None = None


class DimensionParams(_Params):
    natural_key: str
    surrogate_key: str
    scd_type: Literal[0, 1, 2] = 1
    track_cols: list[str] = Field(default_factory=list)
    target: str | None = None
    unknown_member: bool = False
    audit: Audit = Field(default_factory=Audit)
    valid_from_col: str = "valid_from"
    valid_to_col: str = "valid_to"
    is_current_col: str = "is_current"

    @model_validator(mode="after")
    def _needs(self) -> DimensionParams:
        if self.scd_type in (1, 2) and not self.track_cols:
            raise ValueError(f"scd_type {self.scd_type} needs 'track_cols' (the columns whose changes it tracks)")
        if self.scd_type == 2 and not self.target:
            raise ValueError("scd_type 2 needs 'target' (the dimension's own write, to read its history)")
        return self


class DateDimensionParams(_Params):
    start_date: str
    end_date: str
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    unknown_member: bool = False

    @model_validator(mode="after")
    def _range(self) -> DateDimensionParams:
        import datetime as dt

        try:
            start, end = dt.date.fromisoformat(self.start_date), dt.date.fromisoformat(self.end_date)
        except ValueError as exc:
            raise ValueError(f"start_date and end_date are YYYY-MM-DD dates ({exc})") from None
        if end < start:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        return self


class DimensionLookup(_Params):
    source_column: str
    dimension_table: str
    dimension_key: str
    surrogate_key: str
    scd2: bool = False
    is_current_col: str = "is_current"


class QuarantineColumns(_Params):
    rejection_reason: bool = Field(default=False, alias="_rejection_reason")
    rejected_at: bool = Field(default=False, alias="_rejected_at")
    source_dimension: bool = Field(default=False, alias="_source_dimension")


class FactQuarantine(_Params):
    """Where orphans go (``orphan_handling: quarantine``): parquet at ``path`` or a SQL ``table``."""

    connection: str
    path: str | None = None
    table: str | None = None
    add_columns: QuarantineColumns = Field(default_factory=QuarantineColumns)

    @model_validator(mode="after")
    def _one(self) -> FactQuarantine:
        if bool(self.path) == bool(self.table):
            raise ValueError("a quarantine needs exactly one of 'path' or 'table'")
        return self


class FactParams(_Params):
    grain: list[str] | None = None
    dimensions: list[DimensionLookup] = Field(default_factory=list)
    orphan_handling: Literal["unknown", "reject", "quarantine"] = "unknown"
    measures: list[str | dict[str, str]] = Field(default_factory=list)
    deduplicate: bool = False
    keys: list[str] | None = None
    audit: Audit | None = None
    quarantine: FactQuarantine | None = None

    @model_validator(mode="after")
    def _keys(self) -> FactParams:
        if self.deduplicate and not (self.keys or self.grain):
            raise ValueError("deduplicate needs 'keys' (or a 'grain')")
        return self


class Measure(_Params):
    name: str
    expr: str


class AggregationIncremental(_Params):
    """``merge_strategy`` combines new aggregates with the stored ones; ``timestamp_column`` selects nothing
    (in Odibi neither): the node's ``read.incremental`` decides which rows are new."""

    timestamp_column: str | None = None
    merge_strategy: Literal["replace", "sum", "min", "max"] = "replace"


class AggregationAudit(Audit):
    load_timestamp: bool = False


class AggregationParams(_Params):
    grain: list[str] = Field(min_length=1)
    measures: list[Measure] = Field(min_length=1)
    having: str | None = None
    incremental: AggregationIncremental | None = None
    target: str | None = None
    audit: AggregationAudit | None = None

    @model_validator(mode="after")
    def _target(self) -> AggregationParams:
        if self.incremental and not self.target:
            raise ValueError("'incremental' needs 'target' (the aggregate's own write)")
        return self


PATTERNS: dict[str, type[_Params]] = {"dimension": DimensionParams, "date_dimension": DateDimensionParams,
                                      "fact": FactParams, "aggregation": AggregationParams}
GENERATORS = frozenset({"date_dimension"})
OTHER_PATTERNS = PATTERN_NAMES - set(PATTERNS)  # scd2 and merge: write operations (plan/patterns_write.py)


def pattern_of(node: NodeConfig) -> tuple[str, dict[str, Any], tuple[str, ...]] | None:
    """The node's dimensional pattern as (type, params, params path suffix), or None."""
    if node.pattern is not None and node.pattern.type not in OTHER_PATTERNS:
        return node.pattern.type, dict(node.pattern.params), ("pattern", "params")
    if node.transformer in PATTERNS:
        return node.transformer, dict(node.params), ("params",)
    return None


def generates(node: NodeConfig) -> bool:
    """Whether the node produces its own rows, so it needs no read or upstream: a generating pattern
    (``date_dimension``), or transform steps that start from nothing (a SQL ``SELECT`` or a function)."""
    found = pattern_of(node)
    if found is not None:
        return found[0] in GENERATORS
    return node.transform is not None and not node.transformer


def stored_datasets(spec: PatternSpec | None) -> list[tuple[str, str]]:
    """The ``(connection, path)`` of each stored dimension a fact reads (``dimension_table: conn.path``)."""
    if spec is None or spec.type != "fact":
        return []
    names = (dim["dimension_table"] for dim in spec.params.thaw().get("dimensions") or [])
    return [(name.split(".", 1)[0], name.split(".", 1)[1]) for name in names if "." in name]


def compile_pattern(node: NodeConfig, path: tuple[Any, ...], report: Report,
                    connections: Collection[str] = ()) -> PatternSpec | None:
    """Check the node's pattern and params; report located problems; return its spec."""
    found = pattern_of(node)
    if found is None:
        return None
    kind, params, suffix = found
    where = (*path, *suffix)
    if node.pattern is not None and node.transformer:
        report("a node has either 'pattern' or 'transformer', not both", (*path, "pattern"), code="pattern",
               hint="move the transformer into a transform step ({function: ..., params: ...})")
    model = PATTERNS.get(kind)
    if model is None:
        report(f"unknown pattern '{kind}'", (*path, "pattern", "type"), code="reference",
               hint=did_you_mean(kind, PATTERNS) or f"patterns: {known(PATTERNS)}")
        return None
    try:
        checked = model.model_validate(params)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                fields = _fields_at(model, loc[:-1])
                report(f"pattern '{kind}' has no parameter '{'.'.join(map(str, loc))}'", (*where, *loc),
                       code="params", hint=did_you_mean(str(loc[-1]), fields) or f"parameters: {known(fields)}")
            else:
                report(f"pattern '{kind}': {error['msg'].removeprefix('Value error, ')}", (*where, *loc),
                       code="params", hint=f"see Odibi's docs/patterns/{kind}.md for its parameters")
        return None
    _check_refs(kind, checked, node, where, report, connections)
    return PatternSpec(type=kind, params=FrozenMap(checked.model_dump(mode="json", by_alias=True)))


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The parameter names allowed where an unknown key was found (nested models included)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = current.model_fields[part].annotation
        current = next((a for a in getattr(annotation, "__args__", (annotation,))
                        if isinstance(a, type) and issubclass(a, BaseModel)), annotation)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _check_refs(kind: str, params: _Params, node: NodeConfig, where: tuple[Any, ...], report: Report,
                connections: Collection[str]) -> None:
    """What the params name must exist: dimension relations, a quarantine target, the node's own write."""
    if isinstance(params, FactParams):
        names = {*node.inputs, *(ref.split(".")[-1] for ref in node.depends_on)}
        for i, dim in enumerate(params.dimensions):
            if dim.dimension_table not in names and dim.dimension_table.split(".", 1)[0] not in connections:
                report(f"dimension_table '{dim.dimension_table}' is not an input of this node",
                       (*where, "dimensions", i, "dimension_table"), code="reference",
                       hint=(did_you_mean(dim.dimension_table, names) or "") +
                       f" name an upstream node (depends_on) or a stored dataset as '<connection>.<path>'; "
                       f"inputs: {known(names) or '(none)'}")
        quarantine = params.quarantine or (node.validation and node.validation.quarantine)
        if params.orphan_handling == "quarantine" and not quarantine:
            report("orphan_handling: quarantine needs a quarantine target", (*where, "orphan_handling"),
                   code="quarantine", hint="add params.quarantine: {connection: ..., path: ...}")
        if params.quarantine and params.quarantine.connection not in connections:
            report(f"unknown connection '{params.quarantine.connection}'", (*where, "quarantine", "connection"),
                   code="reference", hint=did_you_mean(params.quarantine.connection, connections) or
                   f"defined connections: {known(connections)}")
    target = getattr(params, "target", None)
    if target:
        write = node.write
        own = write and f"{write.connection}.{write.path or write.table}"
        if own != target:
            report(f"target '{target}' must be this node's own write ({own or 'the node has no write'})",
                   (*where, "target"), code="pattern",
                   hint="the pattern reads its existing rows from where the node writes: "
                        "set target to '<write.connection>.<write.path or table>'")
    if isinstance(params, AggregationParams) and params.incremental and params.incremental.timestamp_column \
            and not (node.read and node.read.incremental):
        report("incremental.timestamp_column does not select new rows (nor does it in Odibi); every row read is "
               "re-aggregated", (*where, "incremental", "timestamp_column"), code="pattern", severity="warning",
               hint=f"add read.incremental: {{column: {params.incremental.timestamp_column}}} to read only new rows")
    if kind in GENERATORS and (node.read or node.depends_on or node.inputs):
        report(f"pattern '{kind}' generates its rows; it takes no read or upstream", (*where[:-1],),
               code="pattern", hint="remove read/depends_on/inputs from this node")
