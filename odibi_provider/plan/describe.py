"""What a node does, in words: one description for every host (Dagster asset descriptions, Airflow task
docs) and the node's definition as SQL text (Airflow's Rendered Templates). Pure; standard library only."""

from __future__ import annotations

import json
from typing import Any

from .model import PlanNode


def describe_node(node: PlanNode) -> str:
    """Markdown: the node's description, then what it reads, runs (SQL in code blocks), checks and writes."""
    lines = [node.description, ""] if node.description else []
    if node.explanation:
        lines += [node.explanation.strip(), ""]
    lines.append(f"odibi node `{node.id}` on the `{node.engine}` engine")
    if node.read is not None:
        where = node.read.path or node.read.table or "query"
        lines.append(f"- read: `{node.read.connection}` {node.read.format} `{where}`")
    if node.pattern is not None:
        lines.append(f"- pattern: `{node.pattern.type}`")
    for step in node.steps:
        if step.kind == "sql":
            lines.append(f"- sql:\n\n```sql\n{(step.sql or '').strip()}\n```\n")
        else:
            lines.append(f"- {step.kind}: `{step.name}`")
    if node.tests:
        lines.append("- tests: " + ", ".join(f"`{t.name}` ({t.on_fail})" for t in node.tests))
    if node.write is not None:
        lines.append(f"- write: `{node.write.connection}` {node.write.format} "
                     f"`{node.write.path or node.write.table}` ({node.write.mode})")
    if node.columns:
        lines.append("- columns:")
        lines += [f"  - `{name}`{column_note(doc)}" for name, doc in node.columns.items()]
    return "\n".join(lines)


def column_note(doc: Any) -> str:
    """``: description [pii] (tags)`` for one documented column (empty parts left out)."""
    text = f": {doc['description']}" if doc.get("description") else ""
    flags = (["pii"] if doc.get("pii") else []) + list(doc.get("tags") or ())
    return text + (f" ({', '.join(flags)})" if flags else "")


def node_definition_sql(node: PlanNode) -> str:
    """The node as one SQL-highlightable text: its SQL steps as written, everything else as ``--`` comments."""
    lines = [f"-- odibi node {node.id} ({node.engine} engine)"]
    if node.read is not None:
        lines.append(f"-- read: {node.read.format} from {node.read.connection}: "
                     f"{node.read.path or node.read.table or 'query'}")
        if node.read.query:
            lines.append(node.read.query.strip().rstrip(";") + ";")
    if node.pattern is not None:
        lines.append(f"-- pattern: {node.pattern.type}")
    for index, step in enumerate(node.steps, 1):
        if step.kind == "sql":
            lines += [f"-- step {index}: sql", (step.sql or "").strip().rstrip(";") + ";"]
        else:
            params = json.dumps(step.params.thaw() if hasattr(step.params, "thaw") else dict(step.params),
                                default=str, sort_keys=True)
            lines.append(f"-- step {index}: {step.kind} {step.name} {params}")
    for test in node.tests:
        lines.append(f"-- test {test.name}: {test.type} (on_fail: {test.on_fail})")
    if node.write is not None:
        lines.append(f"-- write: {node.write.format} to {node.write.connection}: "
                     f"{node.write.path or node.write.table} ({node.write.mode})")
    return "\n".join(lines)
