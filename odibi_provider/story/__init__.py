"""The run story: per-node JSON records, the run summary, and the self-contained HTML page.

Names load lazily: ``import odibi_provider.story`` imports no SQLAlchemy, pandas, duckdb or pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

_RECORD = "odibi_provider.story.record"
_WRITER = "odibi_provider.story.writer"
_LAZY_IMPORTS: dict[str, str] = {
    "NodeStory": _RECORD,
    "RunStory": _RECORD,
    "NodeSummary": _RECORD,
    "SchemaDiff": _RECORD,
    "WriteRecord": _RECORD,
    "ErrorRecord": _RECORD,
    "schema_diff": _RECORD,
    "mask_sample": _RECORD,
    "validation_record": _RECORD,
    "StoryWriter": _WRITER,
    "load_run": _WRITER,
    "load_node": _WRITER,
    "render_run_html": "odibi_provider.story.html",
    "render_run_index": "odibi_provider.story.html",
    "render_page": "odibi_provider.story.html",
}

if TYPE_CHECKING:  # pragma: no cover
    from .html import render_page, render_run_html, render_run_index
    from .record import (
        ErrorRecord,
        NodeStory,
        NodeSummary,
        RunStory,
        SchemaDiff,
        WriteRecord,
        mask_sample,
        schema_diff,
        validation_record,
    )
    from .writer import StoryWriter, load_node, load_run

__all__ = [
    "ErrorRecord", "NodeStory", "NodeSummary", "RunStory", "SchemaDiff", "StoryWriter", "WriteRecord", "load_node",
    "load_run", "mask_sample", "render_page", "render_run_html", "render_run_index", "schema_diff",
    "validation_record",
]


__getattr__, __dir__ = lazy_names("odibi_provider.story", _LAZY_IMPORTS, globals())
