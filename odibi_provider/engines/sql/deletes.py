"""Odibi's ``detect_deletes``: its params (``DeleteDetectionConfig``) and the key-comparison SQL, written once.

The queries read named relations the runner supplies (``runner/deletes.py``): ``df`` (this run's rows),
``_odibi_previous`` (the keys that existed before: the previous version of the node's Delta target for
``snapshot_diff``, the node's own rows for ``sql_compare``), ``_odibi_current`` (the keys that exist now: ``df``
for ``snapshot_diff``, the source table's keys for ``sql_compare``) and ``_odibi_deleted`` (the deleted keys).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..params import Params
from .checks import check_shapes
from .dialect import Dialect

if TYPE_CHECKING:
    from .transformers import SqlParams

MODES = ("none", "snapshot_diff", "sql_compare")
FIRST_RUN = ("skip", "error")
BREACH = ("warn", "error", "skip")
DEFAULTS: dict[str, Any] = {"mode": "none", "soft_delete_col": "_is_deleted", "on_first_run": "skip",
                            "max_delete_percent": 50.0, "on_threshold_breach": "warn"}
PREVIOUS, CURRENT, DELETED = "_odibi_previous", "_odibi_current", "_odibi_deleted"

# (required params, optional params), as Odibi's DeleteDetectionConfig declares them
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "detect_deletes": ((), ("mode", "keys", "connection", "path", "soft_delete_col", "source_connection",
                            "source_table", "source_query", "snapshot_column", "on_first_run",
                            "max_delete_percent", "on_threshold_breach")),
}


def _choice(options: Sequence[str]) -> Callable[[Params, str], object]:
    def check(p: Params, key: str) -> None:
        if p.params[key] not in options:
            p.fail(key, f"expected one of {', '.join(options)}, got {p.params[key]!r}")
    return check


def _mode(p: Params, key: str) -> None:
    """The mode, and the params it needs (Odibi's ``validate_mode_requirements``)."""
    _choice(MODES)(p, key)
    mode = p.params[key]
    if mode != "none" and not p.params.get("keys"):
        p.fail("keys", f"'keys' is required when mode is '{mode}': the business key column(s) that identify "
                       "a row, e.g. keys: [customer_id]")
    if mode == "sql_compare" and not p.params.get("source_connection"):
        p.fail("source_connection", "'source_connection' is required for mode 'sql_compare': the connection of "
                                    "the live source, e.g. source_connection: erp")
    if mode == "sql_compare" and not (p.params.get("source_table") or p.params.get("source_query")):
        p.fail("source_table", "mode 'sql_compare' needs 'source_table' or 'source_query': where the keys that "
                               "still exist are read, e.g. source_table: dbo.Customers")


def _percent(p: Params, key: str) -> None:
    value = p.params[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        p.fail(key, f"expected a percentage between 0 and 100, got {value!r}")


def _snapshot_column(p: Params, key: str) -> None:
    p.fail(key, "snapshot_column (comparing snapshots inside one non-Delta table) is not supported; write the "
                "node to a Delta target and use mode: snapshot_diff, or mode: sql_compare")


def _text(p: Params, key: str) -> None:
    p.text(key)


PARAM_SHAPES: dict[str, dict[str, Callable[[Params, str], object]]] = {
    "detect_deletes": {
        "mode": _mode, "keys": lambda p, k: p.names(k), "connection": _text, "path": _text,
        "soft_delete_col": lambda p, k: p.names(k) if isinstance(p.params[k], list) else p.text(k),
        "source_connection": _text, "source_table": _text, "source_query": _text,
        "snapshot_column": _snapshot_column, "on_first_run": _choice(FIRST_RUN),
        "max_delete_percent": _percent, "on_threshold_breach": _choice(BREACH),
    },
}


def settings(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked, with Odibi's defaults filled in (``soft_delete_col: null`` is a hard delete)."""
    check_shapes(name, params, PARAM_SHAPES[name])
    return {**DEFAULTS, **params}


def _matches(d: Dialect, keys: Sequence[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{d.ident(k)} IS NOT DISTINCT FROM {right}.{d.ident(k)}" for k in keys)


def deleted_keys_sql(d: Dialect, keys: Sequence[str]) -> str:
    """The distinct keys of ``_odibi_previous`` that ``_odibi_current`` no longer has."""
    cols = ", ".join(f"p.{d.ident(k)}" for k in keys)
    return (f"SELECT DISTINCT {cols} FROM {PREVIOUS} AS p WHERE NOT EXISTS "
            f"(SELECT 1 FROM {CURRENT} AS c WHERE {_matches(d, keys, 'c', 'p')})")


def _deleted(d: Dialect, keys: Sequence[str], alias: str) -> str:
    return f"EXISTS (SELECT 1 FROM {DELETED} AS x WHERE {_matches(d, keys, 'x', alias)})"


def apply_sql(d: Dialect, keys: Sequence[str], columns: Sequence[str], soft_delete_col: str | None, *,
              restore: bool) -> str:
    """``df`` without the deleted keys (hard delete, ``soft_delete_col`` None) or with ``soft_delete_col``
    true for them; ``restore`` brings the deleted rows back from ``_odibi_previous`` (``snapshot_diff``: this
    run's rows no longer hold them) so a soft delete keeps them, flagged."""
    if soft_delete_col is None:
        return f"SELECT * FROM df WHERE NOT {_deleted(d, keys, 'df')}"
    kept = [d.ident(c) for c in columns if c != soft_delete_col]
    flag = d.ident(soft_delete_col)
    sql = f"SELECT {', '.join(f'df.{c}' for c in kept)}, {_deleted(d, keys, 'df')} AS {flag} FROM df"
    if restore:
        sql += (f" UNION ALL SELECT {', '.join(f'p.{c}' for c in kept)}, TRUE AS {flag} FROM {PREVIOUS} AS p "
                f"WHERE {_deleted(d, keys, 'p')}")
    return sql


def ensure_flag_sql(d: Dialect, soft_delete_col: str) -> str:
    """``df`` with ``soft_delete_col`` added as false (no deletes detected, or none looked for)."""
    return f"SELECT df.*, FALSE AS {d.ident(soft_delete_col)} FROM df"


def detect_deletes(p: SqlParams) -> str:
    """Odibi's delete detection, applied once the deleted keys are known (relation ``_odibi_deleted``, found by
    ``runner/deletes.py``)::

        transformer: detect_deletes
        params: {mode: snapshot_diff, keys: [customer_id], soft_delete_col: _is_deleted}
    """
    cfg = settings(p.transformer, dict(p.params))
    keys = [p.column(k, "keys") for k in cfg.get("keys") or []]
    return apply_sql(p.dialect, keys, p.columns, cfg["soft_delete_col"], restore=cfg["mode"] == "snapshot_diff")


LIBRARY: dict[str, Callable[[SqlParams], str]] = {"detect_deletes": detect_deletes}
