"""Odibi's dimensional patterns as SQL written once against a :class:`~..dialect.Dialect`.

``dimension`` (surrogate keys, SCD 0/1, unknown member, audit columns, incremental against the target),
``date_dimension`` (a generated calendar), ``fact`` (surrogate key lookups, orphans, grain) and
``aggregation`` (grain + measures, incremental re-aggregation). Standard library only.
"""

from .aggregation import aggregation_sql
from .date_dimension import date_dimension_sql
from .dimension import dimension_sql
from .fact import FactQueries, fact_queries

__all__ = ["FactQueries", "aggregation_sql", "date_dimension_sql", "dimension_sql", "fact_queries"]
