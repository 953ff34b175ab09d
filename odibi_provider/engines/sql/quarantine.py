"""Quarantine rows as SQL: Odibi's metadata columns, sampling and the row cap, and retention by
``_rejected_at``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .dialect import Dialect
from .validation import FAILED_COLUMN


def quarantine_query(dialect: Dialect, columns: Sequence[str], extras: Sequence[str], values: Mapping[str, str],
                     max_rows: int | None = None, sample_fraction: float | None = None) -> str:
    """Quarantined rows (bound as ``df``, with the failed-tests column) with Odibi's metadata columns:
    ``_rejection_reason`` (``Failed: a,b``), ``_failed_tests`` (``a,b``) per row, and ``_rejected_at``,
    ``_source_batch_id``, ``_original_node`` from ``values``; without ``extras`` the failed-tests column
    stays. ``sample_fraction`` keeps each row with that probability, then ``max_rows`` the first rows only."""
    q, failed = dialect.ident, dialect.ident(FAILED_COLUMN)
    names = f"replace({failed}, ', ', ',')"
    made = {"_rejection_reason": f"concat('Failed: ', {names})", "_failed_tests": names}
    keep = [q(c) for c in columns if c != FAILED_COLUMN or not extras]
    added = [f"{made[c] if c in made else dialect.string(values[c])} AS {q(c)}" for c in extras]
    limit = f" LIMIT {int(max_rows)}" if max_rows else ""
    source = "df" if sample_fraction is None else f"({dialect.sample('df', float(sample_fraction), None)}) AS sampled"
    return f"SELECT {', '.join([*keep, *added])} FROM {source}{limit}"


def retention_query(dialect: Dialect, cutoff: str, *, expired: bool) -> str:
    """The rows of a quarantine target (bound as ``df``) whose ``_rejected_at`` (ISO text) is before
    ``cutoff`` (``expired``), or the rest; a row without a time is kept."""
    stamp = dialect.ident("_rejected_at")
    condition = f"coalesce({stamp} < {dialect.string(cutoff)}, false)"
    return f"SELECT * FROM df WHERE {'' if expired else 'NOT '}{condition}"
