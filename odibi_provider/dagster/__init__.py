"""The Dagster adapter: an odibi Plan as Dagster definitions (a leaf: the core never imports it).

    from odibi_provider.dagster import build_definitions
    defs = build_definitions("examples/retail")

Names load lazily; importing this package does not import Dagster until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

_LAZY_IMPORTS: dict[str, str] = {
    "build_definitions": "odibi_provider.dagster.definitions",
    "OdibiDagsterTranslator": "odibi_provider.dagster.translator",
    "OdibiResource": "odibi_provider.dagster.resources",
    "OdibiIOManager": "odibi_provider.dagster.io_manager",
    "OdibiProjectComponent": "odibi_provider.dagster.component",
    "OdibiAssetArgs": "odibi_provider.dagster.assets",
    "build_odibi_asset_args": "odibi_provider.dagster.assets",
    "build_odibi_assets": "odibi_provider.dagster.assets",
    "build_job_args": "odibi_provider.dagster.jobs",
    "new_files": "odibi_provider.dagster.sensors",
}

if TYPE_CHECKING:  # pragma: no cover
    from .assets import OdibiAssetArgs, build_odibi_asset_args, build_odibi_assets
    from .component import OdibiProjectComponent
    from .definitions import build_definitions
    from .io_manager import OdibiIOManager
    from .jobs import build_job_args
    from .resources import OdibiResource
    from .sensors import new_files
    from .translator import OdibiDagsterTranslator

__all__ = [
    "OdibiAssetArgs", "OdibiDagsterTranslator", "OdibiIOManager", "OdibiProjectComponent", "OdibiResource",
    "build_definitions", "build_job_args", "build_odibi_asset_args", "build_odibi_assets", "new_files",
]


__getattr__, __dir__ = lazy_names("odibi_provider.dagster", _LAZY_IMPORTS, globals())
