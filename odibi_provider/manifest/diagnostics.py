"""Turn pydantic validation errors into located, readable :class:`Problem` records."""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .._suggest import did_you_mean, known
from ..errors import Problem
from .models import NAME_PATTERN, ProjectConfig, _step_kind
from .yaml_source import format_path, locate

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

# words users bring from other tools, mapped to the odibi value they mean
_SYNONYMS = {"merge": "upsert", "insert": "append", "replace": "overwrite", "insert_new": "append_once",
             "parquet_file": "parquet", "jsonl": "json", "xlsx": "excel", "postgres": "sql", "sqlite": "sql"}
_NAME_RULE = f"names must match {NAME_PATTERN}: a letter or _ first, then letters, digits or _"


def problems_from_validation(error: ValidationError, data: Any) -> list[Problem]:
    """One located problem per pydantic error, with the YAML path as the user wrote it."""
    problems = []
    for item in error.errors(include_url=False):
        path = _data_path(tuple(item["loc"]), data)
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, (item.get("ctx") or {}).get("discriminator", "type").strip("'"))
        loc = locate(data, path)
        message, hint = _describe(item, path, data)
        problems.append(Problem(message, path=format_path(path), file=loc[0] if loc else None,
                                line=loc[1] if loc else None, hint=hint, code=item["type"],
                                node=node_id_at(path, data)))
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the segments pydantic adds for union members, keeping the path through the user's data."""
    path: list[Any] = []
    current = data
    for index, segment in enumerate(loc):
        last = index == len(loc) - 1
        if segment == "[key]":
            continue
        if _contains(current, segment):
            path.append(segment)
            current = current[segment]
        elif last or not isinstance(current, (dict, list)):
            path.append(segment)
            current = None
    return tuple(path)


def _contains(container: Any, segment: Any) -> bool:
    if isinstance(container, dict):
        return segment in container
    return isinstance(container, list) and isinstance(segment, int) and 0 <= segment < len(container)


def _describe(item: ErrorDetails, path: tuple[Any, ...], data: Any) -> tuple[str, str | None]:
    kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
    key = path[-1] if path else ""
    if kind == "extra_forbidden":
        choices = _known_keys(path[:-1], data)
        hint = did_you_mean(str(key), choices) or (f"allowed keys: {known(choices)}" if choices else None)
        return f"unknown key '{key}'", hint
    if kind == "missing":
        return f"missing required key '{key}'", None
    if kind == "string_pattern_mismatch":
        return f"invalid name '{value}'", _NAME_RULE
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        synonym = _SYNONYMS.get(str(value))
        hint = (f"did you mean '{synonym}'?" if synonym in options else did_you_mean(str(value), options))
        return f"invalid value {value!r}; expected {expected}", hint
    if kind == "union_tag_invalid":
        options = [o.strip().strip("'") for o in str(ctx.get("expected_tags", "")).split(",")]
        return (f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} {ctx.get('tag')!r}; expected one of "
                f"{known(options)}", did_you_mean(str(ctx.get("tag")), options))
    if kind == "union_tag_not_found":
        return f"missing the {ctx.get('discriminator', 'type')} key", "add e.g. 'type: local'"
    if kind in ("value_error", "assertion_error"):
        return item["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, "), None
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value), got {type(value).__name__}", None
    if kind == "list_type":
        return f"expected a list, got {type(value).__name__}", "write items as '- item' lines or [a, b]"
    return item["msg"], None


def node_id_at(path: tuple[Any, ...], data: Any) -> str | None:
    if len(path) >= 4 and path[0] == "pipelines" and path[2] == "nodes":
        try:
            pipeline = data["pipelines"][path[1]]
            return f"{pipeline['pipeline']}.{pipeline['nodes'][path[3]]['name']}"
        except (KeyError, IndexError, TypeError):
            return None
    return None


def _known_keys(path: tuple[Any, ...], data: Any) -> list[str]:
    """The keys the model at ``path`` accepts (walking annotations, choosing union members by data)."""
    annotation: Any = ProjectConfig
    current = data
    for segment in path:
        annotation = _pick(annotation, current)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = _field(annotation, segment)
            if field is None:
                return []
            annotation = field.annotation
        else:
            args = typing.get_args(annotation)
            if not args:
                return []
            annotation = args[-1]
        current = current[segment] if _contains(current, segment) else None
    annotation = _pick(annotation, current)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        names = []
        for name, field in annotation.model_fields.items():
            names.append(field.alias or name)
        return names
    return []


def _field(model: type[BaseModel], name: Any) -> Any:
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias):
            return field
    return None


def _pick(annotation: Any, data: Any) -> Any:
    """Unwrap Annotated/Optional/Union down to the member that fits ``data``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = _choose(members, data)
            continue
        return annotation


def _choose(members: list[Any], data: Any) -> Any:
    models = [typing.get_args(m)[0] if typing.get_origin(m) is typing.Annotated else m for m in members]
    models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
    if isinstance(data, dict):
        wanted_type = data.get("type")
        for model in models:
            field = model.model_fields.get("type")
            if field is not None and wanted_type in typing.get_args(field.annotation):
                return model
        step = _step_kind(data)
        for model in models:
            if step and step in model.model_fields:
                return model
    if len(models) == 1:
        return models[0]
    non_models = [m for m in members if m not in models]
    return non_models[0] if non_models else (models[0] if models else members[0])
