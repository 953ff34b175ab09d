"""OpenLineage for the project's ``lineage:`` block: dataset naming (``naming``, standard library only), run
events built from the lifecycle events (``events``), the hook sink that emits them (``sink``) and Airflow's
OpenLineage methods (``operator``). Only ``events``, ``sink`` and ``operator`` import ``openlineage``."""
