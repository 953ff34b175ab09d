"""The Dagster code location of this repository: the retail example project (``definitions.definitions``)."""
