"""Interop: a user's Python asset receives an odibi asset as a pandas DataFrame.

Odibi assets persist their own data (the node's ``write``, or a per-run intermediate), so this IO manager
never stores anything: it reads the dataset back from where the node wrote it.

    @dg.asset(ins={"revenue": dg.AssetIn(key=["gold", "revenue_by_customer_day"])})
    def revenue_report(revenue: pd.DataFrame) -> None: ...
"""

from __future__ import annotations

from typing import Any

from ..errors import OdibiError
from ..runner.inputs import upstream_frame
from ._dg import dg
from .resources import OdibiResource

NODE_METADATA = "odibi/node"


class OdibiIOManager(dg.ConfigurableIOManager):
    """Loads an odibi asset's dataset as a pandas DataFrame; odibi assets store their data themselves."""

    odibi: OdibiResource

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is not None:
            raise OdibiError(f"OdibiIOManager does not store values (asset {context.asset_key.to_user_string()}); "
                             "odibi assets write their own data. Give this asset another io_manager_key.")

    def load_input(self, context: dg.InputContext) -> Any:
        node_id = _node_id(context)
        run_id = _root_run_id(context)
        plan = self.odibi.plan_for_run(run_id)  # decoded once per run, not once per input
        node = plan.node(node_id)
        ctx = self.odibi.run_context(plan, run_id=run_id)
        engine = ctx.engine_for(node.engine)
        context.log.debug(f"loading odibi node {node_id} as a pandas DataFrame")
        return engine.to_pandas(upstream_frame(ctx, node_id, node))


def _node_id(context: dg.InputContext) -> str:
    upstream = context.upstream_output
    metadata = upstream.definition_metadata if upstream is not None else {}
    node_id = (metadata or {}).get(NODE_METADATA)
    if not node_id:
        raise OdibiError(f"input '{context.name}' does not come from an odibi asset (no '{NODE_METADATA}' "
                         "metadata); only odibi assets can be loaded by OdibiIOManager")
    return str(node_id)


def _root_run_id(context: dg.InputContext) -> str:
    """The odibi run id of the current run (intermediates of nodes without a write live under it)."""
    try:
        run = context.step_context.dagster_run
        return run.root_run_id or run.run_id
    except Exception:  # noqa: BLE001 - outside a run (e.g. build_input_context) there is no run id
        return "no-run"
