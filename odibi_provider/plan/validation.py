"""The node's validation settings beside its tests (mode, alerts, gate, quarantine extras) as Plan data."""

from __future__ import annotations

from ..manifest.models import ValidationConfig
from .model import GateSpec, ValidationSpec


def validation_spec(config: ValidationConfig | None) -> ValidationSpec:
    """``config`` (a node's ``validation:`` block) as a frozen :class:`ValidationSpec`."""
    if config is None:
        return ValidationSpec()
    gate = None
    if (g := config.gate) is not None:
        rows = g.row_count
        gate = GateSpec(g.require_pass_rate, g.on_fail, tuple((t.test, t.min_pass_rate) for t in g.thresholds),
                        rows.min if rows else None, rows.max if rows else None,
                        rows.change_threshold if rows else None)
    q = config.quarantine
    return ValidationSpec(mode=config.mode, alert=config.on_fail == "alert", gate=gate,
                          quarantine_columns=q.metadata_columns if q else (),
                          quarantine_max_rows=q.max_rows if q else None,
                          quarantine_sample_fraction=q.sample_fraction if q else None,
                          quarantine_retention_days=q.retention_days if q else None)
