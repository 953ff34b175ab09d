"""OdibiNodeOperator: run exactly one node of an odibi project as one Airflow task.

The operator holds only strings (project path, node id, env, vars): the Plan is loaded when the task
runs, from its on-disk cache (once per DAG run in a process), and engines are imported there too, so DAG
files parse light. All tasks
of one DAG run share one odibi run id (derived from the DAG id and run id), so a retried task keeps its
write ids and data handed between tasks goes through persisted datasets of the same run.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ...errors import ExecutionError
from .._af import sdk
from .links import OdibiStoryLink

if TYPE_CHECKING:  # pragma: no cover
    from airflow.sdk import Context

    from ...hooks.manager import HookManager
    from ...plan.model import Plan, PlanNode
    from ...runner import NodeResult, RunContext

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ANCHOR = re.compile(r"[^A-Za-z0-9_-]")  # as odibi_provider.story.html names node sections
BAD_NODE_ID = "node_id must be 'pipeline.node' (got {node_id!r}); list the ids with: odibi-provider validate {path}"


def logical_time(context: Context) -> Any:
    """The DAG run's logical time for ``freshness`` checks: the end of its data interval, else its logical date;
    None (a run triggered without a logical date) means ``$ODIBI_LOGICAL_TIME``, else now."""
    return context.get("data_interval_end") or context.get("logical_date")


def odibi_run_id(dag_id: str, run_id: str) -> str:
    """One odibi run id per Airflow DAG run: readable, path-safe, stable across task retries."""
    raw = f"{dag_id}__{run_id}"
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{_UNSAFE.sub('-', raw).strip('-')[:100]}-{digest}"


class OdibiOperatorBase(sdk.BaseOperator):
    """What the node and pipeline operators share: where the project is, how to run it, how to report it."""

    template_fields: Sequence[str] = ("env", "vars", "partition_key", "odibi_definition")
    template_fields_renderers: ClassVar[dict[str, str]] = {"vars": "json", "odibi_definition": "sql"}
    operator_extra_links: tuple[sdk.BaseOperatorLink, ...] = (OdibiStoryLink(),)
    shallow_copy_attrs: Sequence[str] = ("hooks",)
    ui_color = "#dcebd5"

    def __init__(self, *, project_path: str | os.PathLike[str], env: str | None = None,
                 vars: Mapping[str, Any] | None = None, partition_key: str | None = None,
                 hooks: HookManager | None = None, story_base_url: str | None = None, render_story: bool = True,
                 story_link: bool = True, odibi_definition: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not story_link:  # no stories, no link: Airflow would still store an empty one in XCom per task
            self.operator_extra_links = ()
        # what the task runs (SQL, steps, tests, write), shown under Rendered Templates; raw: never Jinja
        self.odibi_definition = f"{{% raw %}}{odibi_definition}{{% endraw %}}" if odibi_definition else ""
        self.project_path = os.fspath(project_path)
        self.env = env
        self.vars = dict(vars) if vars else None
        self.partition_key = partition_key
        self.hooks = hooks
        self.story_base_url = story_base_url
        self.render_story = render_story
        self.story_url: str | None = None

    def _run_context(self, context: Context, plan: Any, nodes: Sequence[PlanNode],
                     retries: Literal["local", "host"]) -> RunContext:
        """The odibi RunContext of this task: the DAG run's odibi run id, Airflow connections for ``nodes``."""
        from ...hooks.manager import HookManager
        from ...runner import RunContext
        from ..connections import environment_for

        ti = context["ti"]
        return RunContext(plan=plan, run_id=odibi_run_id(ti.dag_id, ti.run_id), hooks=self.hooks or HookManager(),
                          retries=retries, partition_key=self.partition_key or context.get("partition_key"),
                          environment=environment_for(plan, nodes),
                          extras={"logical_time": when} if (when := logical_time(context)) else {})

    def _outlet_extras(self, context: Context, plan: Plan, results: Sequence[NodeResult]) -> None:
        """Rows, status (``warning`` too), quarantined rows and story link of each written dataset on its outlet
        Asset event (what the Assets view and downstream DAGs see)."""
        from ..assets import asset

        events = context.get("outlet_events")
        if events is None:
            return
        for result in results:
            node = plan.node(result.node_id)
            dataset = plan.dataset(node.dataset) if node.dataset else None
            if dataset is None or not result.ok:
                continue
            events[asset(dataset.uri)].extra = {
                "odibi_node": result.node_id, "status": result.status, "rows": result.rows_written,
                "quarantined_rows": result.quarantined_rows, "story": self._story_link_of(result),
                "path": result.location}  # where this machine wrote it; the Asset URI names it on every machine

    def _story_link_of(self, result: NodeResult) -> str:
        """The task's story link, pointed at ``result``'s section (a pipeline task writes many datasets)."""
        link, anchored, _ = (self.story_url or "").partition("#node-")
        return f"{link}#node-{_ANCHOR.sub('_', result.node_id)}" if anchored else link

    def _log_result(self, result: NodeResult) -> None:
        from ...runner.views import log_lines

        for level, line in log_lines(result):
            self.log.log(level, "%s", line)
        if self.story_url:
            self.log.info("odibi story link: %s", self.story_url)

    def _publish_story(self, ctx: RunContext, result: NodeResult) -> str | None:
        """Settle the run's story and re-render its HTML page when the shared rule says so (best effort:
        ``runner.story_io.refresh_host_story``); return the link to this node's part of the page."""
        if not result.story_path:
            return None
        from ...store import Store, StoreError
        from ..story_roots import plugin_base_url, remember_story_root

        target, anchor = Store.locate(result.story_path), ""  # local, or in a remote story store
        try:
            from ...runner.story_io import refresh_host_story
            from ...story.writer import record_attempt

            try_number = int(sdk.get_current_context()["ti"].try_number or 1)
            if ctx.retries == "host":  # Airflow owns the retries: its try is the node's attempt
                record_attempt(target, try_number)
            failed = result.status == "failed"
            refresh_host_story(ctx, _run_nodes(self, ctx.plan), failed=failed, render=self.render_story,
                               retry_pending=failed and bool(result.retryable) and try_number <= (self.retries or 0))
        except Exception as exc:  # noqa: BLE001 - the story never fails the task
            self.log.warning("could not summarise or render the run story: %s", exc)
        if self.render_story:  # the page is there, or will be (a later task or a story server renders it)
            target = target.parent.parent.child("index.html")
            anchor = "#node-" + _ANCHOR.sub("_", result.node_id)
        base = self.story_base_url or _configured_story_base_url()
        if not base and remember_story_root(ctx.plan.project, ctx.story_store.uri):
            base = plugin_base_url(ctx.plan.project)  # served by the odibi plugin on the api-server
        if not base:
            return (Path(target.uri).resolve().as_uri() if target.is_local else target.url) + anchor
        try:
            relative = target.relative_to(ctx.story_store)
        except StoreError:
            relative = target.name
        return f"{base.rstrip('/')}/{relative}{anchor}"


def _run_nodes(task: OdibiOperatorBase, plan: Plan) -> list[str]:
    """The odibi nodes of ``task``'s DAG: what its run runs (the story's header counts them)."""
    from ..translator import pipeline_of

    nodes: list[str] = []
    for other in task.dag.tasks if task.has_dag() else [task]:
        if isinstance(other, OdibiNodeOperator):
            nodes.append(other.odibi_node_id)
        elif isinstance(other, OdibiOperatorBase) and isinstance(getattr(other, "pipeline", None), str):
            nodes.extend(pipeline_of(plan, other.pipeline).nodes)  # type: ignore[attr-defined]
    return nodes


class OdibiNodeOperator(OdibiOperatorBase):
    """Run one node (never its ancestors) of the odibi project at ``project_path``.

    :param project_path: the project folder or its ``odibi.yaml``.
    :param node_id: ``pipeline.node``.
    :param env: the project environment (``environments:`` overlay) to run with.
    :param vars: ``${vars.x}`` overrides; templated, e.g. ``{"day": "{{ ds }}"}``.
    :param partition_key: names this run's writes (idempotent appends per partition); templated,
        defaults to the DAG run's partition key.
    :param hooks: a :class:`~odibi_provider.hooks.HookManager` whose hooks fire for this node.
    :param story_base_url: serve stories from here (default: ``[odibi] story_base_url``, else the odibi
        plugin's ``/odibi/stories/{project}`` on the api-server).
    :param render_story: re-render the run's HTML story after the node.
    :param story_link: show the "odibi story" link (``build_dags`` sets False when the project's stories are off).

    Returns (to XCom) only small metadata: status, rows, URI, location, story path, test outcomes.
    A ``fail`` validation fails the task without retries; ``warn`` logs; ``quarantine`` writes the
    quarantine dataset. A node with ``on_error: ignore`` that fails is skipped instead of failed.
    """

    def __init__(self, *, project_path: str | os.PathLike[str], node_id: str, task_id: str | None = None,
                 **kwargs: Any) -> None:
        if not isinstance(node_id, str) or node_id.count(".") != 1:
            raise ValueError(BAD_NODE_ID.format(node_id=node_id, path=project_path))
        super().__init__(project_path=project_path, task_id=task_id or node_id, **kwargs)
        self.odibi_node_id = node_id

    def execute(self, context: Context) -> dict[str, Any]:
        from ...plan.cache import load_plan_for_run
        from ...runner import run_node

        ti = context["ti"]
        plan = load_plan_for_run(self.project_path, run_id=odibi_run_id(ti.dag_id, ti.run_id), env=self.env,
                                 vars=self.vars)
        node = plan.node(self.odibi_node_id)
        ctx = self._run_context(context, plan, [node], retries="host")
        self.log.info("odibi run %s: node %s (%s layer, engine %s)", ctx.run_id, node.id, node.layer, node.engine)
        result = run_node(plan, node.id, ctx)
        self._odibi_lineage = (plan, ctx.run_id, result)  # for get_openlineage_facets_on_complete/_on_failure
        self.story_url = self._publish_story(ctx, result)
        self._log_result(result)
        self._outlet_extras(context, plan, [result])
        _raise_for(result, node)
        return result.metadata()

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Airflow's OpenLineage provider calls this after ``execute``: the node's datasets (named as its
        Assets are), schema and row count, SQL and parent run; None when the node did not run here."""
        return self._openlineage_facets()

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        """As :meth:`get_openlineage_facets_on_complete`, with the node's error as the run's error facet."""
        return self._openlineage_facets()

    def _openlineage_facets(self) -> Any:
        ran = getattr(self, "_odibi_lineage", None)
        if ran is None:
            return None
        from ...lineage.operator import operator_lineage

        plan, run_id, result = ran
        rows = result.rows_written if result.rows_written is not None else result.rows_out
        return operator_lineage(plan, result.node_id, run_id=run_id, schema=result.schema_out or None,
                                rows=None if result.error else rows, error=result.error)


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

