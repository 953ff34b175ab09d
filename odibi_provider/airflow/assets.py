"""Airflow Assets for odibi datasets: the URI comes from the Plan, so a writer's outlet and a reader's
schedule name the same Asset."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from ..extras import require

require("airflow.sdk", purpose="the odibi Airflow provider")
from airflow.sdk import Asset  # noqa: E402


@cache
def asset(uri: str) -> Asset:
    """The Asset for a dataset URI (one shared instance per URI: 10,000 nodes parse without rebuilding them)."""
    return Asset(uri=uri)


def assets(uris: Iterable[str]) -> list[Asset]:
    return [asset(uri) for uri in uris]
