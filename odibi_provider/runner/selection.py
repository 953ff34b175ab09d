"""Choosing nodes: ``--select`` by node id, pipeline, layer or tag, with ``+`` for upstream/downstream.

``silver.orders``  one node            ``silver``  a pipeline        ``layer:gold``  a layer
``tag:pii``        nodes with a tag    ``+gold.x`` it and its ancestors    ``bronze.y+`` it and descendants
Several selectors (space or comma separated) are unioned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .._suggest import did_you_mean
from ..errors import OdibiError
from ..plan.model import Plan


def select_nodes(plan: Plan, selectors: str | Iterable[str] | None) -> list[str]:
    """Node ids chosen by ``selectors`` in plan order; None selects everything."""
    if selectors is None:
        return [n.id for n in plan.nodes]
    tokens = re.split(r"[\s,]+", selectors) if isinstance(selectors, str) else list(selectors)
    chosen: set[str] = set()
    for token in filter(None, (t.strip() for t in tokens)):
        up, down = token.startswith("+"), token.endswith("+")
        base = _match(plan, token.strip("+"))
        chosen |= base
        if up:
            chosen |= _walk(plan, base, upstream=True)
        if down:
            chosen |= _walk(plan, base, upstream=False)
    return [n.id for n in plan.nodes if n.id in chosen]


def _match(plan: Plan, token: str) -> set[str]:
    kind, _, value = token.partition(":") if ":" in token else ("", "", token)
    if kind == "layer":
        found = {n.id for n in plan.nodes if n.layer == value}
    elif kind == "tag":
        found = {n.id for n in plan.nodes if value in n.tags}
    elif kind == "pipeline" or (not kind and "." not in value):
        found = {n.id for n in plan.nodes if n.pipeline == value}
    elif not kind:
        found = {value} if any(n.id == value for n in plan.nodes) else set()
    else:
        raise OdibiError(f"unknown selector kind '{kind}:' in '{token}'; use layer:, tag:, pipeline: or a node id")
    if not found:
        names = [n.id for n in plan.nodes] + [p.name for p in plan.pipelines]
        raise OdibiError(f"selector '{token}' matches no node; {did_you_mean(value, names) or 'check the name'}")
    return found


def _walk(plan: Plan, start: set[str], *, upstream: bool) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        node_id = stack.pop()
        nexts = plan.node(node_id).upstream if upstream else plan.downstream(node_id)
        for other in nexts:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def layer_selection(plan: Plan, selectors: str | Iterable[str] | None,
                    layers: str | Iterable[str] | None) -> str | list[str] | None:
    """``selectors`` narrowed to the nodes of ``layers`` (odibi_de_v2's ``target_layers``; names match
    in any case). None when neither is given; an unknown layer is an error listing the project's layers."""
    if layers is None:
        return selectors if selectors is None or isinstance(selectors, str) else list(selectors)
    known = {layer.lower(): layer for layer in dict.fromkeys(n.layer for n in plan.nodes)}
    wanted = set()
    for layer in [layers] if isinstance(layers, str) else list(layers):
        if str(layer).lower() not in known:
            hint = did_you_mean(str(layer), list(known.values()))
            raise OdibiError(f"target layer '{layer}' is not a layer of project '{plan.project}'; "
                             f"{hint + ' ' if hint else ''}its layers are: {', '.join(known.values())}")
        wanted.add(known[str(layer).lower()])
    return [node_id for node_id in select_nodes(plan, selectors) if plan.node(node_id).layer in wanted]
