"""Operators of the odibi provider: :class:`~odibi_provider.airflow.operators.node.OdibiNodeOperator`."""
