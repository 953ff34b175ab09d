"""Pictures of a run for the HTML story: the run graph (inline SVG) and the timeline (CSS bars).

Pure functions of the node records, no external script or stylesheet. The graph places each node in the
column of its depth (``level``; computed from ``upstream`` for old records), colours it by status and draws
the edges between nodes of the run; above :data:`MAX_GRAPH_NODES` it shows one box per pipeline instead.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from .record import NodeStory

MAX_GRAPH_NODES = 60  # larger runs get the per-pipeline summary
COLOURS: Mapping[str, str] = {"success": "#1a7f37", "failed": "#cf222e", "warning": "#9a6700",
                              "skipped": "#6e7781"}
BOX_W, BOX_H, GAP_X, GAP_Y, PAD, HEAD = 170, 30, 60, 12, 10, 22
LABEL_CHARS = 22
_ANCHOR = re.compile(r"[^A-Za-z0-9_-]")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def anchor(node_id: str) -> str:
    """The id of a node's section in the page."""
    return "node-" + _ANCHOR.sub("_", node_id)


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def levels(nodes: Sequence[NodeStory]) -> dict[str, int]:
    """Each node's column: its recorded level, else its depth among the run's nodes (0 without upstream)."""
    known = {n.node_id: n for n in nodes}
    depth: dict[str, int] = {}

    def of(node_id: str, seen: frozenset[str]) -> int:
        if node_id not in depth:
            node = known[node_id]
            ups = [u for u in node.upstream if u in known and u not in seen]
            depth[node_id] = max((of(u, seen | {node_id}) + 1 for u in ups), default=0)
        return depth[node_id]

    if all(n.level is not None for n in nodes):
        return {n.node_id: int(n.level or 0) for n in nodes}
    return {n.node_id: of(n.node_id, frozenset()) for n in nodes}


def render_graph(nodes: Sequence[NodeStory]) -> str:
    """The run graph as inline SVG (one ``g.gnode`` per node), or the per-pipeline summary for large runs."""
    if not nodes:
        return ""
    if len(nodes) > MAX_GRAPH_NODES:
        return _pipeline_summary(nodes)
    column = levels(nodes)
    columns: dict[int, list[NodeStory]] = defaultdict(list)
    for node in sorted(nodes, key=lambda n: (n.pipeline, n.layer, n.node_id)):
        columns[column[node.node_id]].append(node)
    order = sorted(columns)
    place: dict[str, tuple[int, int]] = {}
    for ci, level in enumerate(order):
        for ri, node in enumerate(columns[level]):
            place[node.node_id] = (PAD + ci * (BOX_W + GAP_X), PAD + HEAD + ri * (BOX_H + GAP_Y))
    width = PAD * 2 + len(order) * BOX_W + (len(order) - 1) * GAP_X
    height = PAD * 2 + HEAD + max(len(c) for c in columns.values()) * (BOX_H + GAP_Y)
    parts = [f'<svg class="run-graph" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="run graph: {len(nodes)} node(s)">']
    for ci, level in enumerate(order):
        layers = sorted({n.layer for n in columns[level] if n.layer})
        parts.append(f'<text class="ghead" x="{PAD + ci * (BOX_W + GAP_X)}" y="{PAD + 12}">'
                     f'{_e(_short(" · ".join(layers) or f"level {level}", 28))}</text>')
    for node in nodes:
        x2, y2 = place[node.node_id]
        for up in node.upstream:
            if up in place:
                x1, y1 = place[up]
                sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H / 2, x2, y2 + BOX_H / 2
                mid = (sx + ex) / 2
                parts.append(f'<path class="gedge" d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" '
                             f'data-from="{_e(up)}" data-to="{_e(node.node_id)}"/>')
    for node in nodes:
        x, y = place[node.node_id]
        colour = COLOURS.get(node.status, "#6e7781")
        parts.append(
            f'<a href="#{anchor(node.node_id)}"><g class="gnode" data-node="{_e(node.node_id)}" '
            f'data-status="{_e(node.status)}"><title>{_e(node.node_id)} · {_e(node.pipeline)} · '
            f'{_e(node.status)}</title><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            f'fill="{colour}"/><text x="{x + 8}" y="{y + 19}">{_e(_short(node.node_id))}</text></g></a>')
    parts.append("</svg>")
    return '<h2>Graph</h2><div class="scroll graph">' + "".join(parts) + "</div>"


def _pipeline_summary(nodes: Sequence[NodeStory]) -> str:
    """One box per pipeline with its status counts, and the edges between pipelines."""
    pipelines = list(dict.fromkeys(n.pipeline for n in nodes))
    of = {n.node_id: n.pipeline for n in nodes}
    edges = {(of[u], n.pipeline) for n in nodes for u in n.upstream if u in of and of[u] != n.pipeline}
    width = PAD * 2 + BOX_W * 2
    row = BOX_H * 2 + GAP_Y
    height = PAD * 2 + len(pipelines) * row
    parts = [f'<svg class="run-graph summary" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{len(nodes)} nodes in {len(pipelines)} pipeline(s)">']
    for i, pipeline in enumerate(pipelines):
        counts: Counter[str] = Counter(str(n.status) for n in nodes if n.pipeline == pipeline)
        worst = next((s for s in ("failed", "warning", "skipped") if counts[s]), "success")
        y = PAD + i * row
        text = ", ".join(f"{counts[s]} {s}" for s in COLOURS if counts[s])
        parts.append(f'<g class="gpipeline" data-pipeline="{_e(pipeline)}"><rect x="{PAD}" y="{y}" '
                     f'width="{BOX_W * 2}" height="{BOX_H * 2}" rx="6" fill="{COLOURS[worst]}"/>'
                     f'<text x="{PAD + 8}" y="{y + 22}">{_e(_short(pipeline, 44))}</text>'
                     f'<text x="{PAD + 8}" y="{y + 46}">{_e(text)}</text></g>')
    parts.append("</svg>")
    flows = "".join(f"<li>{_e(a)} → {_e(b)}</li>" for a, b in sorted(edges))
    note = (f'<p class="muted">{len(nodes)} nodes: too many to draw one by one, so one box per pipeline'
            f"{'; pipelines feeding others:' if edges else '.'}</p>")
    return ('<h2>Graph</h2>' + note + (f"<ul>{flows}</ul>" if flows else "")
            + '<div class="scroll graph">' + "".join(parts) + "</div>")


def render_timeline(nodes: Sequence[NodeStory]) -> str:
    """Each node's start and duration as a bar on the run's time axis (parallel nodes overlap)."""
    timed = sorted((n for n in nodes if n.status != "skipped"), key=lambda n: (n.started_at, n.node_id))
    if not timed:
        return ""
    start = min(n.started_at for n in timed)
    total = max(max(n.started_at + (n.duration_s or 0.0) for n in timed) - start, 1e-6)
    rows = []
    for node in timed:
        left = 100 * (node.started_at - start) / total
        width = max(100 * (node.duration_s or 0.0) / total, 0.5)
        rows.append(
            f'<div class="tl-row"><a class="tl-label" href="#{anchor(node.node_id)}" title="{_e(node.node_id)}">'
            f'{_e(node.node_id)}</a><div class="tl-track"><span class="tl-bar {_e(node.status)}" '
            f'data-node="{_e(node.node_id)}" style="left:{min(left, 99.5):.2f}%;width:{min(width, 100 - left):.2f}%"'
            f' title="{_e(node.node_id)}: +{node.started_at - start:.2f} s, {node.duration_s or 0:.2f} s">'
            f"</span></div></div>")
    return (f'<h2>Timeline</h2><p class="muted">{total:.2f} s from the first node\'s start to the last '
            f"node's end; bars that overlap ran at the same time.</p><div class=\"timeline\">{''.join(rows)}</div>")


CSS = """
.graph svg{display:block}.run-graph text{font:12px system-ui,sans-serif;fill:#fff}.run-graph text.ghead{fill:#59636e;
font-weight:600}.gedge{fill:none;stroke:#8c959f;stroke-width:1.5}.timeline{margin:6px 0 12px}.tl-row{display:flex;
align-items:center;gap:8px;min-height:20px}.tl-label{flex:0 0 30%;max-width:240px;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap;font-size:12px}.tl-track{position:relative;flex:1;height:14px;background:var(--soft);
border-radius:3px}.tl-bar{position:absolute;top:0;bottom:0;border-radius:3px;min-width:2px}
"""
