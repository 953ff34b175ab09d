"""One Dagster asset per Plan node: a pure args builder and a thin factory over it.

``build_odibi_asset_args`` (pure, what tests call) turns the Plan into specs, checks and retry policies;
``build_odibi_assets`` wraps each in its own op, so retries and re-execution from failure are per node.
Ops are built with ``OpDefinition`` / ``AssetsDefinition`` directly (no decorator): a 1,000-node project
loads in a fraction of the decorator's time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..plan.model import Plan, PlanNode
from ._dg import dg
from .checks import build_check_specs
from .execute import AssetRuntime, make_compute
from .metadata import column_schema
from .resources import io_manager_key
from .translator import OdibiDagsterTranslator

RESULT_OUTPUT = "result"


@dataclass(frozen=True)
class OdibiAssetArgs:
    """Everything Dagster needs for one node's asset; ``checks`` pairs each check spec with its test name."""

    node_id: str
    op_name: str
    spec: dg.AssetSpec
    checks: tuple[tuple[dg.AssetCheckSpec, str], ...] = ()
    retry_policy: dg.RetryPolicy | None = None
    resource_keys: frozenset[str] = frozenset()

    @property
    def check_specs(self) -> tuple[dg.AssetCheckSpec, ...]:
        return tuple(spec for spec, _ in self.checks)


def build_odibi_asset_args(plan: Plan, *, translator: OdibiDagsterTranslator | None = None,
                           resource_key: str = "odibi",
                           recorded_schemas: Mapping[str, Sequence[tuple[str, str]]] | None = None
                           ) -> list[OdibiAssetArgs]:
    """The asset arguments of every node in ``plan`` (in plan order); pure, no Dagster definitions built.

    ``recorded_schemas`` (node id -> the columns and types of its last successful run, see
    ``runner/schemas.py``) become the asset's column schema, with the docs of its declared ``columns:``.
    """
    translator = translator or OdibiDagsterTranslator()
    recorded = recorded_schemas or {}
    return [_node_args(node, plan, translator, resource_key, recorded.get(node.id)) for node in plan.nodes]


def _node_args(node: PlanNode, plan: Plan, translator: OdibiDagsterTranslator, resource_key: str,
               recorded: Sequence[tuple[str, str]] | None) -> OdibiAssetArgs:
    spec = translator.get_asset_spec(node, plan)
    if recorded:  # what the last run wrote, as its materialization showed it
        docs = node.columns.thaw() if node.columns else None
        spec = spec.replace_attributes(metadata={**spec.metadata,
                                                 "dagster/column_schema": column_schema(recorded, docs)})
    keys = {resource_key} | ({"pyspark"} if node.engine == "spark" else set())
    return OdibiAssetArgs(node_id=node.id, op_name=translator.get_op_name(node, plan), spec=spec,
                          checks=build_check_specs(node, plan, translator),
                          retry_policy=translator.get_retry_policy(node, plan), resource_keys=frozenset(keys))


def build_odibi_assets(asset_args: Sequence[OdibiAssetArgs], *,
                       runtime: AssetRuntime | None = None) -> list[dg.AssetsDefinition]:
    """One AssetsDefinition (one op) per node; each op's body runs exactly that node.

    The op's output names the odibi IO manager, so a user's asset taking an odibi asset as an input
    receives it as a pandas DataFrame.
    """
    runtime = runtime or AssetRuntime()
    io_key = io_manager_key(runtime.resource_key)
    dep_in = dg.In(dg.Nothing)
    check_out = dg.Out(dg.Nothing, is_required=True)
    result_out = dg.Out(dg.Nothing, io_manager_key=io_key, is_required=True)
    assets = []
    for args in asset_args:
        dep_keys = {f"dep_{i}": dep.asset_key for i, dep in enumerate(args.spec.deps)}
        check_outputs = {spec.get_python_identifier(): spec for spec, _ in args.checks}
        op = dg.OpDefinition(
            compute_fn=make_compute(args, runtime), name=args.op_name, ins=dict.fromkeys(dep_keys, dep_in),
            outs={RESULT_OUTPUT: result_out, **dict.fromkeys(check_outputs, check_out)},
            required_resource_keys=set(args.resource_keys), retry_policy=args.retry_policy,
            code_version=args.spec.code_version, tags={"odibi/node": args.node_id})
        assets.append(dg.AssetsDefinition(
            node_def=op, keys_by_input_name=dep_keys, keys_by_output_name={RESULT_OUTPUT: args.spec.key},
            specs=[args.spec], check_specs_by_output_name=check_outputs))
    return assets
