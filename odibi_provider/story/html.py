"""The run's HTML story: one self-contained page (inline CSS and JS, no external references).

:func:`render_run_index` reads a run folder written by :class:`~odibi_provider.story.writer.StoryWriter`
(local or on an object store) and writes ``index.html`` beside it; :func:`render_run_html` does the same
for a local folder. Every value from a record passes through ``html.escape``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..store import Store, as_store
from .graph import CSS as GRAPH_CSS
from .graph import anchor as _anchor
from .graph import render_graph, render_timeline
from .record import NodeStory, RunStory, SchemaDiff, schema_diff
from .writer import load_run

INDEX = "index.html"

CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--skip:#6e7781;--line:#d0d7de;--soft:#f6f8fa;--ink:#1f2328}
*{box-sizing:border-box}body{font:14px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--ink);
margin:0 auto;max-width:1200px;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
h3{font-size:14px;margin:14px 0 6px}.muted{color:#59636e}.meta{display:flex;flex-wrap:wrap;gap:8px 24px;margin:8px 0}
.meta b{font-weight:600}table{border-collapse:collapse;width:100%;margin:4px 0 10px}th,td{border:1px solid var(--line);
padding:4px 8px;text-align:left;vertical-align:top}th{background:var(--soft);font-weight:600}td.n{text-align:right;
font-variant-numeric:tabular-nums}.badge{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;
font-size:12px;font-weight:600}.success{background:var(--ok)}.failed{background:var(--bad)}.warning{background:var(--warn)}
.skipped{background:var(--skip)}.running{background:#0969da}.counts span{margin-right:16px}details{border:1px solid
var(--line);border-radius:6px;margin:8px 0;padding:0 12px}details[open]{padding-bottom:10px}summary{cursor:pointer;
padding:8px 0;font-weight:600}summary .badge{margin-right:8px}pre{background:var(--soft);border:1px solid var(--line);
border-radius:6px;padding:8px;overflow:auto;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.err{background:#ffebe9;border-color:#ff8182}tr.added td{background:#dafbe1}tr.removed td{background:#ffebe9;
text-decoration:line-through}tr.changed td{background:#fff8c5}.cols{display:flex;gap:16px;flex-wrap:wrap}
.cols>div{flex:1;min-width:280px}.tools{float:right}.tools button{font:inherit;margin-left:6px;cursor:pointer}
tr.failrow td{background:#ffebe9}a{color:#0969da;text-decoration:none}
.scroll{overflow-x:auto;max-width:100%}.scroll table{margin:0}pre{max-width:100%}
code,.meta span,p{overflow-wrap:anywhere}
.failed-at{font-weight:600;color:var(--bad)}
@media (max-width:600px){body{padding:10px}.cols>div{min-width:0;flex-basis:100%}.tools{float:none;display:block}
h1{font-size:19px}}
"""

JS = """
function odibiToggle(open){document.querySelectorAll('details').forEach(function(d){d.open=open;});}
function odibiOpenHash(){var d=document.getElementById(location.hash.slice(1));
if(d&&d.tagName==='DETAILS'){d.open=true;}}
window.addEventListener('hashchange',odibiOpenHash);window.addEventListener('DOMContentLoaded',odibiOpenHash);
"""

def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _ts(epoch: float | None) -> str:
    return "–" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s"


def _num(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _badge(status: str) -> str:
    return f'<span class="badge {_e(status)}">{_e(status)}</span>'


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], row_classes: Sequence[str] = ()) -> str:
    """An HTML table; ``rows`` hold already-escaped cell HTML."""
    out = ['<div class="scroll"><table><thead><tr>', *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = row_classes[i] if i < len(row_classes) and row_classes[i] else ""
        out.append(f'<tr class="{cls}">' if cls else "<tr>")
        out.extend(f"<td>{cell}</td>" for cell in row)
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _header(run: RunStory) -> str:
    meta = [("Run", run.run_id), ("Started", _ts(run.started_at)), ("Finished", _ts(run.finished_at)),
            ("Duration", _dur(run.duration_s))]
    meta += [(k, v) for k, v in (("Version", run.version), ("Environment", run.environment)) if v]
    items = "".join(f"<span><b>{_e(k)}:</b> {_e(v)}</span>" for k, v in meta)
    counts = (f'<div class="counts"><span>{run.completed} completed</span><span>{run.failed} failed</span>'
              f"<span>{run.skipped} skipped</span><span>{len(run.nodes)} node(s)</span></div>")
    tools = ('<span class="tools"><button onclick="odibiToggle(true)">expand all</button>'
             '<button onclick="odibiToggle(false)">collapse all</button></span>')
    return (f"<header>{tools}<h1>{_e(run.project)} {_badge(run.status)}</h1>"
            f'<div class="meta muted">{items}</div>{counts}</header>')


def _overview(nodes: Sequence[NodeStory]) -> str:
    head = ["Node", "Status", "Pipeline", "Layer", "Engine", "Duration", "Rows in", "Rows out", "Rows written"]
    rows = [[f'<a href="#{_anchor(n.node_id)}">{_e(n.node_id)}</a>', _badge(n.status), _e(n.pipeline), _e(n.layer),
             _e(n.engine), _dur(n.duration_s), _num(sum(n.rows_in.values()) if n.rows_in else None),
             _num(n.rows_out), _num(n.rows_written)] for n in nodes]
    return "<h2>Nodes</h2>" + _table(head, rows)


def _schema(title: str, schema: Sequence[tuple[str, str]], marks: Mapping[str, str],
            docs: Mapping[str, Any] | None = None) -> str:
    if not schema:
        return f'<div><h3>{_e(title)}</h3><p class="muted">no schema recorded</p></div>'
    classes = [marks.get(col, "") for col, _ in schema]
    head = ["Column", "Type", *(["About"] if docs else [])]
    rows = [[_e(col), _e(typ), *([_e(_column_doc(docs.get(col)))] if docs else [])] for col, typ in schema]
    return f"<div><h3>{_e(title)}</h3>{_table(head, rows, classes)}</div>"


def _column_doc(doc: Any) -> str:
    """A column's documentation (the node's ``columns:``): description, then PII and tags."""
    if not isinstance(doc, Mapping):
        return ""
    extras = (["PII"] if doc.get("pii") else []) + [str(t) for t in doc.get("tags") or ()]
    return " ".join([str(doc.get("description") or ""), f"[{', '.join(extras)}]" if extras else ""]).strip()


def _diff_text(diff: SchemaDiff) -> str:
    if not diff:
        return '<p class="muted">schema unchanged</p>'
    parts = [f"added: {', '.join(c for c, _ in diff.added)}" if diff.added else "",
             f"removed: {', '.join(c for c, _ in diff.removed)}" if diff.removed else "",
             "type changed: " + ", ".join(f"{c} ({a} → {b})" for c, a, b in diff.type_changed)
             if diff.type_changed else ""]
    return "<p>" + "<br>".join(_e(p) for p in parts if p) + "</p>"


def _schemas(node: NodeStory) -> str:
    if node.status == "failed" and not node.schema_out:  # no output to compare: say where it stopped
        where = f" in {node.failed_step}" if node.failed_step else ""
        return (f'<h3>Schema</h3><p class="muted">no output schema: the node failed{_e(where)} before producing '
                "its output (see the error above)</p>" + '<div class="cols">'
                + _schema("In (entering the steps)", node.schema_in, {}) + "</div>")
    diff = node.schema_diff
    marks_in = {c: "removed" for c, _ in diff.removed}
    marks_out = {c: "added" for c, _ in diff.added} | {c: "changed" for c, _, _ in diff.type_changed}
    return ("<h3>Schema</h3>" + _diff_text(diff) + '<div class="cols">'
            + _schema("In", node.schema_in, marks_in) + _schema("Out", node.schema_out, marks_out, node.columns)
            + "</div>")


def _sample(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    body = [[_e(_cell(row.get(c))) for c in columns] for row in rows]
    return f"<h3>Sample ({len(rows)} row(s))</h3>" + _table(columns, body)


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    return value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)


def _sql(statements: Sequence[str]) -> str:
    blocks = "".join(f"<pre>{_e(s)}</pre>" for s in statements)
    return f"<h3>SQL ({len(statements)})</h3>{blocks}" if statements else ""


def _steps(node: NodeStory) -> str:
    """Every step that ran (pattern, SQL, transformer, Python function) with its params and SQL; old records
    without steps show their SQL."""
    if not node.steps:
        return _sql(node.sql)
    rows, blocks = [], []
    for i, step in enumerate(node.steps, 1):
        params = step.get("params") or {}
        shown = json.dumps(params, default=str, ensure_ascii=False, sort_keys=True) if params else "–"
        rows.append([str(i), _e(step.get("kind")), _e(step.get("name") or "–"), f"<code>{_e(shown)}</code>",
                     _dur(step.get("duration_s"))])
        if step.get("sql"):
            blocks.append(f"<h4>Step {i} SQL</h4><pre>{_e(step['sql'])}</pre>")
    return (f"<h3>Steps ({len(node.steps)})</h3>" + _table(["#", "Kind", "Name", "Params", "Duration"], rows)
            + "".join(blocks))


def _inputs(node: NodeStory) -> str:
    """Each input (named inputs, upstream nodes, the node's own read): rows, columns, and how the output's
    schema differs from it."""
    names = list(dict.fromkeys([*node.input_schemas, *node.rows_in]))
    if not names:
        return ""
    rows = []
    for name in names:
        schema = node.input_schemas.get(name, ())
        diff = schema_diff(schema, node.schema_out) if schema and node.schema_out else None
        rows.append([_e(name), _num(node.rows_in.get(name)) if name in node.rows_in else "not counted",
                     str(len(schema)) if schema else "–",
                     _diff_text(diff) if diff is not None else '<span class="muted">–</span>'])
    return "<h3>Inputs</h3>" + _table(["Input", "Rows", "Columns", "Output vs input"], rows)


def _validation(node: NodeStory) -> str:
    if not node.validation:
        return ""
    head = ["Test", "Type", "On fail", "Result", "Failed rows", "Message"]
    kinds = [v["type"] if v.get("stage", "test") in ("test", v["type"]) else f"{v['stage']}: {v['type']}"
             for v in node.validation]
    rows = [[_e(v["name"]), _e(kind), _e(v["on_fail"]), "passed" if v["passed"] else "<b>failed</b>",
             _num(v["failed_rows"]), _e(v["message"])] for v, kind in zip(node.validation, kinds, strict=True)]
    classes = ["" if v["passed"] else "failrow" for v in node.validation]
    quarantined = (f"<p>{_num(node.quarantined_rows)} row(s) quarantined to "
                   f"<code>{_e(node.quarantine_target or '(no quarantine target)')}</code></p>"
                   if node.quarantined_rows else "")
    return "<h3>Validation</h3>" + _table(head, rows, classes) + quarantined


def _write(node: NodeStory) -> str:
    if node.write is None:
        return ""
    w = node.write
    note = "" if not w.skipped else (" (skipped: the content is unchanged since the last write)"
                                     if w.skip_reason == "unchanged" else " (skipped: already written by this run)")
    return (f"<h3>Write</h3><p><code>{_e(w.location)}</code> mode <b>{_e(w.mode)}</b>{_e(note)}, "
            f"{_num(node.rows_written)} row(s) written</p>")


def _error(node: NodeStory) -> str:
    if node.error is None:
        return ""
    err = node.error
    trace = f'<pre class="err">{_e(err.traceback)}</pre>' if err.traceback else ""
    where = f'<p class="failed-at">failed in {_e(node.failed_step)}</p>' if node.failed_step else ""
    text = err.message if err.message.startswith(f"{err.type}:") else f"{err.type}: {err.message}"
    return f'<h3>Error</h3>{where}<pre class="err">{_e(text)}</pre>{trace}'


def _facts(node: NodeStory) -> str:
    rows_in = ", ".join(f"{k}: {v:,}" for k, v in node.rows_in.items()) or "–"
    facts = [("Started", _ts(node.started_at)), ("Finished", _ts(node.finished_at)),
             ("Duration", _dur(node.duration_s)), ("Attempts", _attempts(node)), ("Rows in", rows_in),
             ("Rows out", _num(node.rows_out)), ("Engine", node.engine)]
    return '<div class="meta">' + "".join(f"<span><b>{_e(k)}:</b> {_e(v)}</span>" for k, v in facts) + "</div>"


def _warnings(node: NodeStory) -> str:
    if not node.warnings:
        return ""
    title = "Skipped" if node.status == "skipped" else "Warnings"
    return f"<h3>{title}</h3><ul>" + "".join(f"<li>{_e(w)}</li>" for w in node.warnings) + "</ul>"


def _attempts(node: NodeStory) -> str:
    if node.attempts == 0:
        return "0 (not run)"
    retries = max(node.attempts - 1, 0)
    budget = f" of {node.max_attempts}" if node.max_attempts and node.max_attempts > 1 else ""
    return f"{node.attempts}{budget}" + (f" ({retries} retr{'y' if retries == 1 else 'ies'})" if retries else "")


def _node_section(node: NodeStory) -> str:
    opened = " open" if node.status == "failed" else ""
    parts = [_facts(node), _error(node), _warnings(node), _inputs(node), _steps(node), _schemas(node),
             _sample(node.sample), _validation(node), _write(node)]
    return (f'<details id="{_anchor(node.node_id)}"{opened}><summary>{_badge(node.status)}{_e(node.node_id)} '
            f'<span class="muted">{_e(node.layer)} · {_dur(node.duration_s)}</span></summary>'
            + "".join(parts) + "</details>")


def render_page(run: RunStory, nodes: Sequence[NodeStory]) -> str:
    """The whole page as a string (pure: no file access)."""
    title = _e(f"{run.project} · run {run.run_id} · {run.status}")
    sections = "".join(_node_section(n) for n in nodes)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{CSS}{GRAPH_CSS}</style></head><body>{_header(run)}{render_graph(nodes)}"
            f"{render_timeline(nodes)}{_overview(nodes)}<h2>Details</h2>{sections}"
            f'<footer class="muted"><p>odibi story · generated {_ts(_now())}</p></footer>'
            f"<script>{JS}</script></body></html>\n")


def _now() -> float:
    return datetime.now(UTC).timestamp()


def render_run_index(run: str | Path | Store) -> Store:
    """Render ``{run}/index.html`` from the run's summary and node fragments, in the run's store (a local
    folder or an object store; a URL resolves through :meth:`Store.locate`); return where it is."""
    run_store = as_store(run)
    summary, nodes = load_run(run_store)
    return run_store.child(INDEX).write_text(render_page(summary, nodes))


def render_run_html(run_dir: str | Path) -> Path:
    """Render ``{run_dir}/index.html`` for a local run folder; return its path (see :func:`render_run_index`)."""
    return render_run_index(Store.local(run_dir)).local_path()
