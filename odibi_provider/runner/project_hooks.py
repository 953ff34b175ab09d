"""The hooks a project declares itself (``alerts:``, ``lineage:``), added to a run's HookManager.

Every host builds a :class:`~odibi_provider.runner.context.RunContext` (in-process runs, Dagster's asset
bodies, Airflow's node operator), and the context adds these hooks, so alerts and lineage fire the same
way everywhere. ``${env:...}`` references resolve from the context's environment (which holds the host's
secrets: Dagster ``EnvVar``s, Airflow Connections) when an alert or event is sent; resolved values are
registered for masking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..hooks.manager import HookManager

if TYPE_CHECKING:  # pragma: no cover
    from .context import RunContext


class _ProjectHooks(HookManager):
    """A HookManager that already carries the project's own hooks (never added twice)."""


def with_project_hooks(ctx: RunContext) -> HookManager:
    """``ctx.hooks`` plus one sink per ``alerts:`` item and the ``lineage:`` sink (unchanged when the
    project declares neither)."""
    plan = ctx.plan
    if isinstance(ctx.hooks, _ProjectHooks) or (not plan.alerts and plan.lineage is None):
        return ctx.hooks
    manager = _ProjectHooks(ctx.hooks)
    resolve = secret_resolver(ctx)
    if plan.alerts:
        from ..hooks.alerts import AlertSink

        for index, alert in enumerate(plan.alerts):
            AlertSink(alert, project=plan.project, owner=plan.owner, resolve=resolve, index=index).attach_to(manager)
    if plan.lineage is not None:
        from ..lineage.sink import LineageSink

        LineageSink(plan, plan.lineage, resolve=resolve).attach_to(manager)
    return manager


def secret_resolver(ctx: RunContext) -> Callable[[str], str]:
    """Resolve ``${env:X}`` references from the run's environment; KeyError names an unset variable."""

    def resolve(text: str) -> str:
        from ..connections.masking import register_secret
        from ..manifest.substitution import Environment, env_names, resolve_env_refs

        environment = ctx.environment or Environment.for_project(ctx.project_dir)
        value = resolve_env_refs(text, environment)
        for name in env_names(text):
            register_secret(environment.get(name))
        return value

    return resolve
