"""Render a Plan's graph as Mermaid, Graphviz dot, or plain text."""

from __future__ import annotations

from collections import defaultdict

from ..plan.model import Plan


def _safe(node_id: str) -> str:
    return node_id.replace(".", "__")


def to_mermaid(plan: Plan) -> str:
    lines = ["flowchart LR"]
    by_layer: dict[str, list[str]] = defaultdict(list)
    for node in plan.nodes:
        by_layer[node.layer].append(node.id)
    for layer, ids in by_layer.items():
        lines.append(f"  subgraph {layer}")
        lines.extend(f'    {_safe(i)}["{i}"]' for i in ids)
        lines.append("  end")
    for edge in plan.edges:
        arrow = "-.->" if edge.kind == "dataset" else "-->"
        lines.append(f"  {_safe(edge.upstream)} {arrow} {_safe(edge.downstream)}")
    return "\n".join(lines)


def to_dot(plan: Plan) -> str:
    lines = [f'digraph "{plan.project}" {{', "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    by_layer: dict[str, list[str]] = defaultdict(list)
    for node in plan.nodes:
        by_layer[node.layer].append(node.id)
    for index, (layer, ids) in enumerate(by_layer.items()):
        lines.append(f'  subgraph cluster_{index} {{ label="{layer}";')
        lines.extend(f'    "{i}";' for i in ids)
        lines.append("  }")
    for edge in plan.edges:
        style = ' [style=dashed, label="dataset"]' if edge.kind == "dataset" else ""
        lines.append(f'  "{edge.upstream}" -> "{edge.downstream}"{style};')
    lines.append("}")
    return "\n".join(lines)


def to_ascii(plan: Plan) -> str:
    lines = []
    for depth, level in enumerate(plan.levels):
        lines.append(f"level {depth}")
        for node_id in level:
            node = plan.node(node_id)
            feeds = f"  <- {', '.join(node.upstream)}" if node.upstream else ""
            lines.append(f"  [{node.layer}] {node_id}{feeds}")
    return "\n".join(lines)


RENDERERS = {"mermaid": to_mermaid, "dot": to_dot, "ascii": to_ascii}
