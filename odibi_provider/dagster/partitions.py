"""Time partitions: a node tagged ``partition:daily`` (or hourly / weekly / monthly) becomes a partitioned asset.

The start comes from the tag (``partition:daily:2024-01-01``) or the project var ``partition_start_date``.
Each partition runs the node on a Plan compiled with ``vars`` ``partition_key``, ``partition_start`` and
``partition_end`` (``YYYY-MM-DD HH:MM:SS``, UTC), so SQL can filter with ``${vars.partition_start}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import OdibiError
from ..plan.model import Plan, PlanNode
from ._dg import dg

PARTITION_TAG = "partition"
START_VAR = "partition_start_date"
GRANULARITIES = ("hourly", "daily", "weekly", "monthly")
VAR_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class PartitionRule:
    """How a node is partitioned: ``granularity`` (hourly | daily | weekly | monthly) from ``start``."""

    granularity: str
    start: str


def partition_rule(node: PlanNode, plan: Plan) -> PartitionRule | None:
    """The node's ``partition:<granularity>[:<start>]`` tag, or None when it is not partitioned."""
    for tag in node.tags:
        head, _, rest = tag.partition(":")
        if head != PARTITION_TAG or not rest:
            continue
        granularity, _, start = rest.partition(":")
        if granularity not in GRANULARITIES:
            raise OdibiError(f"node '{node.id}': tag '{tag}' names an unknown partitioning '{granularity}'; "
                             f"use one of {', '.join(GRANULARITIES)} (e.g. 'partition:daily:2024-01-01')")
        start = start or str(plan.vars.get(START_VAR) or "")
        if not start:
            raise OdibiError(f"node '{node.id}': tag '{tag}' needs a start date: write "
                             f"'partition:{granularity}:2024-01-01' or set vars.{START_VAR}")
        return PartitionRule(granularity, start)
    return None


def partitions_def_for(node: PlanNode, plan: Plan) -> dg.PartitionsDefinition | None:
    """The Dagster partitions definition for the node's partition tag (shared between equal rules)."""
    rule = partition_rule(node, plan)
    return _partitions_def(rule) if rule else None


@lru_cache(maxsize=64)
def _partitions_def(rule: PartitionRule) -> dg.PartitionsDefinition:
    if rule.granularity == "hourly":
        start = rule.start if len(rule.start) > 10 else f"{rule.start}-00:00"
        return dg.HourlyPartitionsDefinition(start_date=start)
    factory = {"daily": dg.DailyPartitionsDefinition, "weekly": dg.WeeklyPartitionsDefinition,
               "monthly": dg.MonthlyPartitionsDefinition}[rule.granularity]
    return factory(start_date=rule.start)


def partition_vars(context: Any) -> dict[str, str] | None:
    """``vars`` overrides for the partition a run targets (None when the run is not partitioned)."""
    if not context.has_partition_key:
        return None
    values = {"partition_key": context.partition_key}
    try:
        window = context.partition_time_window
    except Exception:  # noqa: BLE001 - a static or dynamic partition has a key but no time window
        return values
    values["partition_start"] = window.start.strftime(VAR_FORMAT)
    values["partition_end"] = window.end.strftime(VAR_FORMAT)
    return values


SCHEDULED_TIME_TAG = "dagster/scheduled_execution_time"


def logical_time(context: Any, overrides: dict[str, str] | None) -> str | None:
    """The run's logical time for time-based checks (``freshness``): the end of the partition's time window,
    else the tick time of a scheduled run (its ``dagster/scheduled_execution_time`` tag), else None (now)."""
    if overrides and "partition_end" in overrides:
        return overrides["partition_end"].replace(" ", "T") + "+00:00"
    tags = getattr(context.run, "tags", None) or {}
    return tags.get(SCHEDULED_TIME_TAG)
