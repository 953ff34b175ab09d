"""The README's main job: run the retail example end to end through Dagster.

Every node of ``examples/retail`` is a Dagster asset; the whole asset graph is materialized with Dagster's
in-process executor on the embedded (DuckDB/Arrow) engine, writing the gold tables under
``examples/retail/output/lake/gold`` and the run's HTML story under ``examples/retail/output/lake/_stories``.
Open the same assets in the Dagster UI with ``.venv/bin/dagster dev`` from the repository root.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent / "retail"
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _progress(event: Any) -> None:
    if event.type.value == "node_complete":
        print(f"  ok    {event.node:<32} {event.rows if event.rows is not None else '-':>6} rows  "
              f"{event.duration_s or 0:.2f}s")
    elif event.type.value == "node_error":
        print(f"  FAIL  {event.node:<32} {event.error}")
    elif event.type.value == "validation_failed":
        print(f"  warn  {event.node:<32} {event.details.get('test')}: {event.error}")


def _summary(result: Any) -> None:
    print("\ngold tables:")
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        if event.asset_key.path[0] == "gold":
            print(f"  {event.asset_key.to_user_string():<32} {meta['dagster/row_count'].value:>6} rows  "
                  f"{meta['odibi/location'].value}")
    checks = result.get_asset_check_evaluations()
    passed = sum(1 for c in checks if c.passed)
    print(f"\nasset checks: {passed} passed, {len(checks) - passed} did not (warnings and quarantines included)")
    stories = [e.materialization.metadata.get("odibi/story") for e in result.get_asset_materialization_events()]
    story = next((s.value for s in stories if s is not None), None)
    if story:
        print(f"run story:    {story}")


def run() -> int:
    """Materialize every asset of the example in-process; 0 when the run succeeded."""
    logging.getLogger("odibi_provider").addHandler(logging.NullHandler())  # progress is printed below
    import dagster as dg

    from odibi_provider.dagster import build_definitions
    from odibi_provider.hooks import HookManager

    hooks = HookManager()
    hooks.register(["node_complete", "node_error", "validation_failed"], _progress)
    defs = build_definitions(PROJECT, hooks=hooks)
    job = defs.resolve_implicit_global_asset_job_def()
    print(f"materializing {len(job.asset_layer.executable_asset_keys)} odibi assets of {PROJECT.name} "
          "with Dagster's in-process executor:")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), run_config=QUIET, raise_on_error=False)
    _summary(result)
    print(f"\n{'success' if result.success else 'FAILED'}: Dagster run {result.run_id}")
    print("open it in the Dagster UI: .venv/bin/dagster dev  (then http://127.0.0.1:3000)")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(run())
