"""Odibi's ``cross_check`` (``CrossCheckParams``): compare the row counts or schemas of a node's inputs.

Odibi raises on a failed check and returns no data. Here the check runs before the step (``runner/checks.py``)
and the step passes the node's data through unchanged (``df``, or the first input when the node reads nothing),
so a node can check and still write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..params import Params

if TYPE_CHECKING:
    from .transformers import SqlParams

TYPES = ("row_count_diff", "schema_match")
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {"cross_check": (("type", "inputs"), ("threshold",))}


def _type(p: Params, key: str) -> None:
    if p.params[key] not in TYPES:
        p.fail(key, f"expected one of {', '.join(TYPES)}, got {p.params[key]!r}")


def _inputs(p: Params, key: str) -> None:
    if len(p.names(key)) < 2:
        p.fail(key, f"cross_check compares at least 2 inputs, got {p.params[key]!r}; list the nodes to compare "
                    "(each also in depends_on)")


def _threshold(p: Params, key: str) -> None:
    value = p.params[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        p.fail(key, f"expected a fraction between 0 and 1 (0.05 allows 5%), got {value!r}")


PARAM_SHAPES: dict[str, dict[str, Callable[[Params, str], object]]] = {
    "cross_check": {"type": _type, "inputs": _inputs, "threshold": _threshold},
}


def check_shapes(name: str, params: dict[str, Any], shapes: dict[str, Callable[[Params, str], object]]) -> None:
    """Run ``shapes`` (param -> check) on the params given (``validate`` runs the same checks)."""
    p = Params(name, params, [], {})
    for key, check in shapes.items():
        if params.get(key) is not None:
            check(p, key)


def settings(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked, with Odibi's default threshold (0.0)."""
    check_shapes("cross_check", params, PARAM_SHAPES["cross_check"])
    return {"threshold": 0.0, **params}


def cross_check(p: SqlParams) -> str:
    """The node's data, unchanged (the check itself ran before, over the inputs)::

        transformer: cross_check
        params: {type: row_count_diff, inputs: [orders_a, orders_b], threshold: 0.05}
    """
    settings(dict(p.params))
    return "SELECT * FROM df"


LIBRARY: dict[str, Callable[[SqlParams], str]] = {"cross_check": cross_check}
