"""Odibi's ``scd2`` and ``merge`` (as ``transformer:``, ``pattern:`` or ``write.mode: merge``) as write settings.

Both need the existing target, so they are not steps: they become the write's mode (``scd2`` / ``merge``)
and its :attr:`~.model.WriteSpec.operation` (Odibi's params), which every engine applies inside its atomic
write (:mod:`odibi_provider.engines.sql.scd`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from .._suggest import did_you_mean
from .frozen import FrozenMap
from .model import WriteSpec

WRITE_OPERATIONS = ("scd2", "merge")
# Odibi's SCD2Params / MergeParams: required, optional, and accepted by Odibi but refused here (why)
_TARGET = ("target", "connection", "path")
_PARAMS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "scd2": (("keys", "track_cols", "effective_time_col"),
             (*_TARGET, "end_time_col", "current_flag_col", "delete_col")),
    "merge": (("keys",), (*_TARGET, "strategy", "audit_cols", "update_condition", "insert_condition",
                          "delete_condition")),
}
_REFUSED = {
    "register_table": "registering a metastore table is not done by odibi-provider; read the path instead",
    "optimize_write": "OPTIMIZE is table maintenance, not part of the write; run it outside the pipeline",
    "zorder_by": "Z-ordering is table maintenance, not part of the write; run OPTIMIZE outside the pipeline",
    "cluster_by": "liquid clustering is set when the table is created outside the pipeline",
    "table_properties": "Delta table properties are set when the table is created outside the pipeline",
}
# Odibi's scd2 *pattern* documents its own column names for the transformer's params
_PATTERN_ALIASES = {"valid_to_col": "end_time_col", "is_current_col": "current_flag_col",
                    "time_col": "effective_time_col"}
_PATTERN_REFUSED = {"valid_from_col": "the effective_time_col column is each version's valid-from; rename it "
                                      "in a transform step instead"}
_STRATEGIES = ("upsert", "append_only", "delete_match")
Report = Callable[..., None]


def is_write_operation(name: str | None) -> bool:
    """True for the transformer/pattern names that are applied by the write (``scd2``, ``merge``)."""
    return name in WRITE_OPERATIONS


def write_settings(node: Any, write: WriteSpec | None, report: Report, path: tuple[Any, ...]) -> WriteSpec | None:
    """``write`` with the node's scd2/merge (``transformer:``, ``pattern:`` or ``write.mode: merge``) applied."""
    pattern = getattr(node, "pattern", None)
    if is_write_operation(node.transformer):
        name, params, where = node.transformer, dict(node.params), (*path, "params")
    elif pattern is not None and is_write_operation(getattr(pattern, "type", None)):
        name, where = pattern.type, (*path, "pattern", "params")
        params = dict(pattern.params or {})
        if name == "scd2":
            for key, reason in _PATTERN_REFUSED.items():
                if key in params:
                    report(f"scd2 parameter '{key}' is not supported: {reason}", (*where, key), code="params")
                    return write
            params = {_PATTERN_ALIASES.get(k, k): v for k, v in params.items()}
    elif write is not None and write.mode == "merge":
        options = node.write.merge_options.model_dump(exclude_none=True) if node.write.merge_options else {}
        return dataclasses.replace(write, operation=FrozenMap({"keys": list(write.keys), **options}))
    else:
        return write
    if not _checked(name, params, report, where):
        return write
    write = _target(name, params, write, report, path, where)
    if write is None:
        return None
    if write.mode not in ("overwrite", name):
        report(f"{name} writes the whole new version of the target; the write's mode '{write.mode}' "
               "cannot be combined with it", (*path, "write", "mode"), hint="remove 'mode' or set it to overwrite",
               code="params")
    keys = [params["keys"]] if isinstance(params["keys"], str) else list(params["keys"])
    operation = {k: v for k, v in params.items() if k not in _TARGET}
    return dataclasses.replace(write, mode=name, keys=tuple(keys), operation=FrozenMap({**operation, "keys": keys}))


def _checked(name: str, params: dict[str, Any], report: Report, where: tuple[Any, ...]) -> bool:
    required, optional = _PARAMS[name]
    known = (*required, *optional)
    ok = True
    for key in params:
        if key in _REFUSED:
            report(f"{name} parameter '{key}' is not supported: {_REFUSED[key]}", (*where, key), code="params")
            ok = False
        elif key not in known:
            hint = did_you_mean(key, known) or f"expected parameters: {', '.join(known)}"
            report(f"{name} has no parameter '{key}'", (*where, key), hint=hint, code="params")
            ok = False
    if missing := [k for k in required if not params.get(k)]:
        report(f"{name} is missing parameter(s) {', '.join(missing)}", where,
               hint=f"expected parameters: {', '.join(known)}", code="params")
        ok = False
    if name == "merge" and params.get("strategy", "upsert") not in _STRATEGIES:
        report(f"unknown merge strategy '{params['strategy']}'", (*where, "strategy"),
               hint=f"use one of {', '.join(_STRATEGIES)}", code="params")
        ok = False
    audit = params.get("audit_cols")
    if audit is not None and (not isinstance(audit, dict) or set(audit) - {"created_col", "updated_col"}):
        report("audit_cols takes created_col and/or updated_col", (*where, "audit_cols"), code="params")
        ok = False
    return ok


def _target(name: str, params: dict[str, Any], write: WriteSpec | None, report: Report, path: tuple[Any, ...],
            where: tuple[Any, ...]) -> WriteSpec | None:
    """The write the operation applies to: the node's ``write``, or Odibi's ``connection`` + ``path``
    (a Delta table, Odibi's default). A ``target``/``path`` naming another dataset is an error."""
    if params.get("target") and (params.get("connection") or params.get("path")):
        report(f"{name}: use 'target' OR 'connection' + 'path', not both", where, code="params")
        return write
    if write is None:
        if params.get("connection") and params.get("path"):
            return WriteSpec(connection=params["connection"], format="delta", path=params["path"])
        report(f"{name} needs its target: add a 'write' block (or params 'connection' and 'path')", where,
               hint="odibi-provider writes the target itself, so Odibi's 'target' table name alone cannot "
                    "locate it", code="params")
        return None
    named = params.get("path") or params.get("target")
    dataset = write.path or write.table
    if named and named not in (dataset, f"{write.connection}.{dataset}"):
        report(f"{name} target '{named}' is not the dataset the node writes ('{write.path or write.table}')",
               (*where, "path" if params.get("path") else "target"),
               hint="drop it (the node's write is the target) or make it match", code="params")
    if params.get("connection") and params["connection"] != write.connection:
        report(f"{name} connection '{params['connection']}' is not the write's ('{write.connection}')",
               (*where, "connection"), hint="drop it or make it match", code="params")
    return write
