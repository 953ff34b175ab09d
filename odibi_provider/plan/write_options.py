"""Odibi's write keys turned into what the engines take: Delta's ``zorder_by``, ``table_properties`` and
``overwrite_schema`` as write options (declared in :mod:`odibi_provider.engines.options`), and
``add_metadata`` as the lineage columns this node's read supplies (Odibi's names and rules)."""

from __future__ import annotations

from typing import Any

from ..manifest.models import AddMetadata, ReadConfig, WriteConfig

FILE_READS = ("csv", "json", "parquet", "delta", "excel")


def delta_options(cfg: WriteConfig) -> dict[str, Any]:
    """The Delta keys of ``cfg`` as write options (none when not set)."""
    options: dict[str, Any] = {}
    if cfg.zorder_by:
        options["zorder_by"] = list(cfg.zorder_by)
    if cfg.table_properties:
        options["table_properties"] = dict(cfg.table_properties)
    if cfg.overwrite_schema is not None and cfg.format == "delta":
        options["schema_mode"] = "overwrite" if cfg.overwrite_schema else None
    return options


def metadata_columns(value: bool | AddMetadata | None, read: ReadConfig | None) -> tuple[str, ...]:
    """Odibi's ``add_metadata`` columns that apply: ``_extracted_at`` always, ``_source_file`` for file reads,
    ``_source_connection`` for any read, ``_source_table`` for SQL reads (``true``: Odibi's defaults)."""
    if not value:
        return ()
    config = AddMetadata() if value is True else value
    assert isinstance(config, AddMetadata)
    wanted = {
        "_extracted_at": config.extracted_at,
        "_source_file": config.source_file and read is not None and read.format in FILE_READS and bool(read.path),
        "_source_connection": config.source_connection and read is not None,
        "_source_table": config.source_table and read is not None and read.format == "sql",
    }
    return tuple(name for name, on in wanted.items() if on)
