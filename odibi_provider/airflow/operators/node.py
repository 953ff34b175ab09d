"""OdibiNodeOperator: run exactly one node of an odibi project as one Airflow task.

The operator holds only strings (project path, node id, env, vars): the Plan is loaded when the task
runs, from its on-disk cache, and engines are imported there too, so DAG files parse light. All tasks
of one DAG run share one odibi run id (derived from the DAG id and run id), so a retried task keeps its
write ids and data handed between tasks goes through persisted datasets of the same run.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ExecutionError
from .._af import sdk
from .links import OdibiStoryLink

if TYPE_CHECKING:  # pragma: no cover
    from airflow.sdk import Context

    from ...hooks.manager import HookManager
    from ...plan.model import PlanNode
    from ...runner import NodeResult, RunContext

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ANCHOR = re.compile(r"[^A-Za-z0-9_-]")  # as odibi_provider.story.html names node sections
BAD_NODE_ID = "node_id must be 'pipeline.node' (got {node_id!r}); list the ids with: odibi-provider validate {path}"


def odibi_run_id(dag_id: str, run_id: str) -> str:
    """One odibi run id per Airflow DAG run: readable, path-safe, stable across task retries."""
    raw = f"{dag_id}__{run_id}"
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{_UNSAFE.sub('-', raw).strip('-')[:100]}-{digest}"


class OdibiNodeOperator(sdk.BaseOperator):
    """Run one node (never its ancestors) of the odibi project at ``project_path``.

    :param project_path: the project folder or its ``odibi.yaml``.
    :param node_id: ``pipeline.node``.
    :param env: the project environment (``environments:`` overlay) to run with.
    :param vars: ``${vars.x}`` overrides; templated, e.g. ``{"day": "{{ ds }}"}``.
    :param partition_key: names this run's writes (idempotent appends per partition); templated,
        defaults to the DAG run's partition key.
    :param hooks: a :class:`~odibi_provider.hooks.HookManager` whose hooks fire for this node.
    :param story_base_url: serve stories from here (default: ``[odibi] story_base_url``, else ``file://``).
    :param render_story: re-render the run's HTML story after the node.

    Returns (to XCom) only small metadata: status, rows, URI, location, story path, test outcomes.
    A ``fail`` validation fails the task without retries; ``warn`` logs; ``quarantine`` writes the
    quarantine dataset. A node with ``on_error: ignore`` that fails is skipped instead of failed.
    """

    template_fields: Sequence[str] = ("env", "vars", "partition_key")
    template_fields_renderers: ClassVar[dict[str, str]] = {"vars": "json"}
    operator_extra_links = (OdibiStoryLink(),)
    shallow_copy_attrs: Sequence[str] = ("hooks",)
    ui_color = "#dcebd5"

    def __init__(self, *, project_path: str | os.PathLike[str], node_id: str, env: str | None = None,
                 vars: Mapping[str, Any] | None = None, partition_key: str | None = None,
                 hooks: HookManager | None = None, story_base_url: str | None = None, render_story: bool = True,
                 task_id: str | None = None, **kwargs: Any) -> None:
        if not isinstance(node_id, str) or node_id.count(".") != 1:
            raise ValueError(BAD_NODE_ID.format(node_id=node_id, path=project_path))
        super().__init__(task_id=task_id or node_id, **kwargs)
        self.project_path = os.fspath(project_path)
        self.odibi_node_id = node_id
        self.env = env
        self.vars = dict(vars) if vars else None
        self.partition_key = partition_key
        self.hooks = hooks
        self.story_base_url = story_base_url
        self.render_story = render_story
        self.story_url: str | None = None

    def execute(self, context: Context) -> dict[str, Any]:
        from ...hooks.manager import HookManager
        from ...plan.cache import load_plan
        from ...runner import RunContext, run_node
        from ..connections import environment_for

        plan = load_plan(self.project_path, env=self.env, vars=self.vars or None)
        node = plan.node(self.odibi_node_id)
        ti = context["ti"]
        ctx = RunContext(plan=plan, run_id=odibi_run_id(ti.dag_id, ti.run_id), hooks=self.hooks or HookManager(),
                         retries="host", partition_key=self.partition_key or context.get("partition_key"),
                         environment=environment_for(plan, node))
        self.log.info("odibi run %s: node %s (%s layer, engine %s)", ctx.run_id, node.id, node.layer, node.engine)
        result = run_node(plan, node.id, ctx)
        self.story_url = self._publish_story(ctx, result)
        self._log_result(result)
        _raise_for(result, node)
        return result.metadata()

    def _log_result(self, result: NodeResult) -> None:
        from ...runner.views import log_lines

        for level, line in log_lines(result):
            self.log.log(level, "%s", line)
        if self.story_url:
            self.log.info("odibi story link: %s", self.story_url)

    def _publish_story(self, ctx: RunContext, result: NodeResult) -> str | None:
        """Render the run's HTML story (best effort) and return the link to this node's part of it."""
        if not result.story_path:
            return None
        from ...store import Store, StoreError

        target, anchor = Store.locate(result.story_path), ""  # local, or in a remote story store
        if self.render_story:
            try:
                from ...story.html import render_run_index

                target = render_run_index(target.parent.parent)
                anchor = "#node-" + _ANCHOR.sub("_", result.node_id)
            except Exception as exc:  # noqa: BLE001 - the story never fails the task
                self.log.warning("could not render the run story: %s", exc)
        base = self.story_base_url or _configured_story_base_url()
        if not base:
            return (Path(target.uri).resolve().as_uri() if target.is_local else target.url) + anchor
        try:
            relative = target.relative_to(ctx.story_store)
        except StoreError:
            relative = target.name
        return f"{base.rstrip('/')}/{relative}{anchor}"


def _raise_for(result: NodeResult, node: PlanNode) -> None:
    """Fail (or skip) the task the way the node's result asks; a failure the runner judged deterministic
    (``result.retryable`` false: a ``fail`` validation, bad SQL, an unknown column...) is not retried."""
    if result.ok:
        return
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    if node.on_error == "ignore":
        raise AirflowSkipException(f"{node.id} failed and has on_error: ignore: {result.error}")
    if not result.retryable:
        raise AirflowFailException(result.error)
    raise ExecutionError(result.error or f"node {node.id} failed")


def _configured_story_base_url() -> str | None:
    try:
        from airflow.sdk import conf

        return conf.get("odibi", "story_base_url", fallback=None) or None
    except Exception:  # noqa: BLE001 - an unreadable config only costs the http link
        return None

