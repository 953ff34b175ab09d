"""One identifier per project name: Odibi's project names are free text (``Sales Data Pipeline (EU)``).

Hosts that need an identifier (Airflow DAG ids, Dagster names and tags) use :func:`project_slug`; stories and
run records keep the name as written.
"""

from __future__ import annotations

import re
import unicodedata

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def project_slug(name: str) -> str:
    """A stable identifier for ``name``: a name that is already one (``sales``, ``Customer360``) is kept as
    written; otherwise accents are dropped and each run of other characters becomes ``_``
    (``Sales Data Pipeline (EU)`` -> ``Sales_Data_Pipeline_EU``; a leading digit gets a ``_``)."""
    if _IDENTIFIER.fullmatch(name):
        return name
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE.sub("_", ascii_text).strip("_") or "project"
    return f"_{slug}" if slug[0].isdigit() else slug
