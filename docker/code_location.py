"""The Dagster code location of the image: ``dagster api grpc -m code_location`` (the Helm chart runs it).

``ODIBI_PROJECT`` is the project baked into the image, ``ODIBI_ENV`` its environment overlay; the Plan
comes from the cache ``build_plan.py`` wrote at build time.
"""

from __future__ import annotations

import os

from odibi_provider.dagster import build_definitions

defs = build_definitions(os.environ.get("ODIBI_PROJECT", "/opt/odibi/project"),
                         env=os.environ.get("ODIBI_ENV") or None)
