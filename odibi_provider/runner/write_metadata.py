"""Odibi's ``write.add_metadata``: lineage columns added to the rows just before the write.

``_extracted_at`` (when the node ran), ``_source_file`` (the read's path), ``_source_connection`` (the read's
connection) and ``_source_table`` (the SQL table or query read); the Plan lists the ones that apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..plan.model import PlanNode


def add_metadata(node: PlanNode, engine: Any, frame: Any) -> Any:
    """``frame`` with the node's ``add_metadata`` columns (unchanged when it has none)."""
    columns = node.write.add_metadata if node.write else ()
    if not columns:
        return frame
    d, read = engine.dialect, node.read
    values = {
        "_extracted_at": f"CAST({d.literal(dt.datetime.now().isoformat(sep=' '))} AS TIMESTAMP)",
        "_source_file": d.literal(read.path) if read and read.path else "NULL",
        "_source_connection": d.literal(read.connection) if read else "NULL",
        "_source_table": d.literal(read.table or read.query) if read and (read.table or read.query) else "NULL",
    }
    names = [name for name, _ in engine.schema(frame)]
    replaced = [c for c in columns if c in names]  # a column of that name already there is replaced
    kept = d.select_except(names, replaced) if replaced else "*"
    selected = ", ".join([kept, *(f"{values[c]} AS {d.ident(c)}" for c in columns)])
    return engine.sql(f"SELECT {selected} FROM df", {"df": frame})
