"""How long Dagster Definitions take to load for generated projects of 1,000 and 5,000 nodes.

Run: python benchmarks/dagster_defs.py [--sizes 1000 5000] [--repeat 3]
Goals: ``build_definitions`` for 1,000 nodes < 2 s; 5,000 nodes <= 5.5x of 1,000 (no quadratic step).

Columns (best of ``--repeat``, sizes interleaved, each in a fresh process so caches inside Dagster do not help):
  build      build_definitions(project) from the cached Plan: the Definitions object a code location exposes
  validate   + Definitions.validate_loadable (resolves the asset graph and every job, as
             ``dagster definitions validate`` does)
The Dagster import (about a second, paid once per process) is reported separately and not included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import json, sys, time
started = time.perf_counter()
import dagster
from odibi_provider.dagster import build_definitions
imported = time.perf_counter()
defs = build_definitions(sys.argv[1])
built = time.perf_counter()
dagster.Definitions.validate_loadable(defs)
validated = time.perf_counter()
print(json.dumps({"import": imported - started, "build": built - imported, "validate": validated - imported,
                  "assets": len(defs.resolve_asset_graph().get_all_asset_keys())}))
"""


def measure_once(project: Path) -> dict[str, float]:
    """One fresh interpreter: import, build, validate."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(project)], cwd=ROOT, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(sizes: list[int], repeat: int, folder: Path) -> dict[int, dict[str, float]]:
    """Best of ``repeat`` per size; sizes are interleaved so a busy machine skews them alike."""
    from benchmarks.generate import write_project
    from odibi_provider.plan import load_plan

    projects = {size: write_project(folder / f"p{size}", size) for size in sizes}
    for project in projects.values():
        load_plan(project)  # warm the Plan cache, as a deployed code location has it
    runs: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    for _ in range(repeat):
        for size, project in projects.items():
            runs[size].append(measure_once(project))
    for size, samples in runs.items():
        assert samples[0]["assets"] == size, (samples[0]["assets"], size)
    return {size: {key: min(r[key] for r in samples) for key in ("import", "build", "validate")}
            for size, samples in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(args.sizes, args.repeat, Path(tmp))
    print(f"{'nodes':>7} {'import s':>9} {'build s':>8} {'validate s':>11}")
    for size, row in results.items():
        print(f"{size:>7} {row['import']:>9.2f} {row['build']:>8.2f} {row['validate']:>11.2f}")
    if 1000 in results and 5000 in results:
        small, large = results[1000], results[5000]
        print(f"ratio 5,000 / 1,000: build {large['build'] / small['build']:.2f}x, "
              f"validate {large['validate'] / small['validate']:.2f}x (goal <= 5.5x)")
        print(f"goal 1,000 nodes build < 2 s: {'met' if small['build'] < 2 else 'NOT met'} "
              f"({small['build']:.2f} s)")


if __name__ == "__main__":
    main()
