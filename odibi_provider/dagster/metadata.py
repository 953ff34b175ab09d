"""Materialization metadata from a node's record (:class:`NodeResult`): row count, column schema, URI, a
masked preview, the story record and a link to the run's HTML story. Nothing is read back from disk, so
assets keep their metadata with ``story: {enabled: false}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..plan.describe import column_note
from ..runner.results import NodeResult
from ..runner.views import node_story
from ..story.links import env_story_base_url, node_anchor, story_url
from ._dg import dg

log = logging.getLogger("odibi_provider.dagster")
PREVIEW_ROWS = 10
STORY_RECORD_DROP = ("sample",)  # shown as the preview; the rest of the record goes in as JSON


def column_schema(schema: Sequence[Sequence[str]], docs: Mapping[str, Any] | None = None) -> dg.TableSchema:
    """The output's columns with their types and, from the node's ``columns:``, description, pii and tags."""
    docs = docs or {}
    return dg.TableSchema(columns=[
        dg.TableColumn(name=str(name), type=str(kind),
                       description=column_note(docs[name]).removeprefix(": ").strip() or None if name in docs else None)
        for name, kind in schema])


def preview_markdown(rows: Sequence[Mapping[str, Any]], limit: int = PREVIEW_ROWS) -> str:
    """A markdown table of the first ``limit`` rows (already masked by the runner)."""
    rows = list(rows)[:limit]
    if not rows:
        return "_no rows_"
    columns = list(rows[0])

    def cell(value: Any) -> str:
        return ("" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")[:80]

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def story_index(story_path: str | None) -> Path | None:
    """``{story root}/{run_id}/index.html`` for a node fragment at ``.../{run_id}/nodes/{node}.json``; None
    without a fragment or when it is on an object store (a ``Path`` cannot name it)."""
    if not story_path or ("://" in story_path and not story_path.startswith("file://")):
        return None
    return Path(story_path.removeprefix("file://")).parent.parent / "index.html"


def story_link(index: Path, node_id: str, base_url: str | None) -> str:
    """The http link to the node in its run's story when a server serves the story root at ``base_url``
    (default ``$ODIBI_STORY_BASE_URL``), else a ``file://`` link."""
    base = base_url or env_story_base_url()
    if not base:
        return index.resolve().as_uri() + "#" + node_anchor(node_id)
    return story_url(base, f"{index.parent.name}/{index.name}", node_id)


def materialization_metadata(result: NodeResult, run_id: str, project: str, *,
                             story_base_url: str | None = None,
                             columns: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Metadata for the node's MaterializeResult (or its Failure), all from the node's record."""
    meta: dict[str, Any] = {"odibi/node": result.node_id, "odibi/status": result.status, "odibi/run_id": run_id,
                            "odibi/duration_s": round(result.duration_s, 4)}
    if result.rows_out is not None:
        meta["dagster/row_count"] = result.rows_out
    if result.rows_written is not None:
        meta["odibi/rows_written"] = result.rows_written
    if result.dataset_uri:
        meta["dagster/uri"] = result.dataset_uri
    if result.location:
        meta["odibi/location"] = dg.MetadataValue.path(result.location)
    if result.write_skipped:
        meta["odibi/write_skipped"] = result.write_skipped
    if result.quarantined_rows:
        meta["odibi/quarantined_rows"] = result.quarantined_rows
    if result.rows_rejected:
        meta["odibi/rows_rejected"] = result.rows_rejected
    if result.warnings:
        meta["odibi/warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in result.warnings))
    if result.schema_out:
        meta["dagster/column_schema"] = column_schema(result.schema_out, columns)
    if result.sample:
        meta["odibi/preview"] = dg.MetadataValue.md(preview_markdown(result.sample))
    record = {k: v for k, v in node_story(result, run_id=run_id, project=project).to_dict().items()
              if k not in STORY_RECORD_DROP}
    meta["odibi/story_record"] = dg.MetadataValue.json(json.loads(json.dumps(record, default=str)))
    index = story_index(result.story_path)
    if index is not None:
        meta["odibi/story"] = dg.MetadataValue.path(str(index))
        meta["odibi/story_url"] = dg.MetadataValue.url(story_link(index, result.node_id, story_base_url))
    return meta
