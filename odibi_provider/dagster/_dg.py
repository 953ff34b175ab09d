"""The one import of Dagster for this package: a missing extra becomes install advice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..extras import require

if TYPE_CHECKING:  # pragma: no cover
    import dagster as dg
else:
    dg = require("dagster", purpose="the Dagster adapter (odibi_provider.dagster)")

__all__ = ["dg"]
