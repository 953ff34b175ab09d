"""Materialization metadata from a node's result and story record: row count, column schema, URI,
a masked preview, the story record and a link to the run's HTML story."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..runner.results import NodeResult
from ..story.record import NodeStory
from ._dg import dg

log = logging.getLogger("odibi_provider.dagster")
PREVIEW_ROWS = 10
STORY_RECORD_DROP = ("sample",)  # shown as the preview; the rest of the record goes in as JSON


def load_story(result: NodeResult) -> NodeStory | None:
    """The node's story fragment, or None when stories are off or it cannot be read."""
    if not result.story_path:
        return None
    try:
        from ..story.writer import load_node

        return load_node(Path(result.story_path))
    except Exception as exc:  # noqa: BLE001 - observability never fails the work
        log.warning("could not read the story of %s: %s", result.node_id, exc)
        return None


def column_schema(schema: Sequence[Sequence[str]]) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=str(name), type=str(kind)) for name, kind in schema])


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
    """``{story root}/{run_id}/index.html`` for a node fragment at ``.../{run_id}/nodes/{node}.json``."""
    return Path(story_path).parent.parent / "index.html" if story_path else None


def materialization_metadata(result: NodeResult, story: NodeStory | None, run_id: str) -> dict[str, Any]:
    """Metadata for the node's MaterializeResult (or its Failure)."""
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
    if result.quarantined_rows:
        meta["odibi/quarantined_rows"] = result.quarantined_rows
    if story is not None:
        meta.update(_story_metadata(story))
    index = story_index(result.story_path)
    if index is not None:
        meta["odibi/story"] = dg.MetadataValue.path(str(index))
        meta["odibi/story_url"] = dg.MetadataValue.url(index.resolve().as_uri())
    return meta


def _story_metadata(story: NodeStory) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if story.schema_out:
        meta["dagster/column_schema"] = column_schema(story.schema_out)
    if story.sample:
        meta["odibi/preview"] = dg.MetadataValue.md(preview_markdown(story.sample))
    record = {k: v for k, v in story.to_dict().items() if k not in STORY_RECORD_DROP}
    meta["odibi/story_record"] = dg.MetadataValue.json(json.loads(json.dumps(record, default=str)))
    return meta
