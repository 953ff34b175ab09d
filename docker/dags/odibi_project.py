"""The Airflow DAGs of the project baked into the image (the DAG bundle of the Helm values).

``ODIBI_PROJECT`` and ``ODIBI_ENV`` as in the image; parsing loads the Plan the build cached.
"""

from __future__ import annotations

import os

from odibi_provider.airflow import build_dags

globals().update(build_dags(os.environ.get("ODIBI_PROJECT", "/opt/odibi/project"),
                            env=os.environ.get("ODIBI_ENV") or None))
