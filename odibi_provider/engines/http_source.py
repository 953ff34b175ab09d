"""A ``format: api`` read as Arrow record batches, for either engine.

Pages are fetched one at a time (:mod:`..connections.api_pages`); each becomes an Arrow table spilled to a
private temporary folder, so no more than one response is ever held. When the last page is in, the
pages' schemas are unified (a column missing on a page is null there; int and float widen) and
:func:`api_reader` returns a ``RecordBatchReader`` streaming the spilled pages in that one schema. A page
that fails (HTTP, not JSON, records Arrow cannot type) fails the read before any batch is handed out, so
a node never writes part of an API.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..connections.api_options import parse_api_options
from ..connections.api_pages import fetch_pages
from ..connections.http import HttpConnection
from ..errors import ExecutionError
from ..extras import require
from ..plan.model import ReadSpec


def api_reader(spec: ReadSpec, connection: Any, options: Mapping[str, Any], where: str) -> Any:
    """A ``pyarrow.RecordBatchReader`` over every page of ``spec.path`` on the http ``connection``."""
    pa = require("pyarrow", purpose="format: api")
    if not isinstance(connection, HttpConnection):
        raise ExecutionError(f"{where}: format 'api' needs a connection of type http (with base_url), "
                             f"got {type(connection).__name__}", retryable=False)
    if not spec.path:
        raise ExecutionError(f"{where}: an api read needs 'path' (the endpoint, e.g. /v1/items)", retryable=False)
    settings = parse_api_options(connection.resolve_options(options, where), where)
    spill = tempfile.TemporaryDirectory(prefix="odibi-api-")
    try:
        parts: list[tuple[Path, Any, str]] = []
        for page in fetch_pages(connection, spec.path, settings, where):
            if not page.records:
                continue
            table = _page_table(pa, page.records, f"{where}: page {page.number} ({page.url})")
            part = Path(spill.name, f"{page.number:08d}.arrow")
            with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            parts.append((part, table.schema, f"page {page.number} ({page.url})"))
            del table
        schema = _unified(pa, parts, list(settings.response.add_fields), where)
    except BaseException:
        spill.cleanup()
        raise
    return pa.RecordBatchReader.from_batches(schema, _batches(pa, parts, schema, spill))


def _page_table(pa: Any, records: list[dict[str, Any]], where: str) -> Any:
    try:
        return pa.Table.from_pylist(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        for name in dict.fromkeys(k for r in records for k in r):
            try:
                pa.array([r.get(name) for r in records])
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as bad:
                raise ExecutionError(f"{where}: field '{name}' mixes value types ({bad}); cast it in the API "
                                     "request or fetch it as text", retryable=False) from None
        raise ExecutionError(f"{where}: cannot make rows of the records ({exc})", retryable=False) from None


def _unified(pa: Any, parts: list[tuple[Path, Any, str]], added: list[str], where: str) -> Any:
    """One schema for every page, in order of first appearance with ``add_fields`` last (as in Odibi)."""
    if not parts:
        return pa.schema([])
    try:
        schema = pa.unify_schemas([s for _, s, _ in parts], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        first: dict[str, tuple[Any, str]] = {}
        for _, s, page in parts:
            for f in s:
                seen = first.setdefault(f.name, (f.type, page))
                if seen[0] != f.type and not pa.types.is_null(f.type) and not pa.types.is_null(seen[0]):
                    raise ExecutionError(f"{where}: field '{f.name}' is {seen[0]} on {seen[1]} but {f.type} on "
                                         f"{page}; the pages disagree on its type", retryable=False) from None
        raise ExecutionError(f"{where}: the pages' records do not share one schema ({exc})", retryable=False) from None
    tail = [schema.field(n) for n in added if n in schema.names]
    return pa.schema([f for f in schema if f.name not in added] + tail)


def _batches(pa: Any, parts: list[tuple[Path, Any, str]], schema: Any, spill: Any) -> Iterator[Any]:
    try:
        for part, _, _ in parts:
            with pa.OSFile(str(part)) as source:  # read into memory: the spill folder goes when done
                table = pa.ipc.open_file(source).read_all()
            columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
                       else pa.nulls(table.num_rows, f.type) for f in schema]
            yield from pa.Table.from_arrays(columns, schema=schema).to_batches()
    finally:
        spill.cleanup()
