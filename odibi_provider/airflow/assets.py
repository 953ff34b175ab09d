"""Airflow Assets for odibi datasets: the URI comes from the Plan (``plan/datasets.py``), so a writer's outlet
and a reader's schedule name the same Asset, on every machine that parses the DAG file (local data is
``x-odibi://<project>/<connection>/<path>``, not a path on this machine)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from ._af import sdk


@cache
def asset(uri: str) -> sdk.Asset:
    """The Asset for a dataset URI (one shared instance per URI: 10,000 nodes parse without rebuilding them)."""
    return sdk.Asset(uri=uri)


def assets(uris: Iterable[str]) -> list[sdk.Asset]:
    return [asset(uri) for uri in uris]
