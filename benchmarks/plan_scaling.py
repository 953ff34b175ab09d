"""How validate and compile scale with project size (100, 1,000, 5,000 nodes), plus a cached load.

Run: python benchmarks/plan_scaling.py [--sizes 100 1000 5000] [--repeat 3]
Goals: 1,000 nodes compile in < 0.5 s; 5,000 take <= 5.5x of 1,000 (no quadratic step).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate import write_project
from odibi_provider._gc import paused_gc
from odibi_provider.manifest import load_project
from odibi_provider.plan import load_plan
from odibi_provider.plan.compiler import compile_plan
from odibi_provider.registry import Registry


def _best(samples: list[float]) -> float:
    return min(samples)


def measure(nodes: int, repeat: int, folder: Path) -> dict[str, float]:
    project = write_project(folder / f"p{nodes}", nodes)
    validate, compile_, cached = [], [], []
    for _ in range(repeat):
        with paused_gc():  # as load_plan/compile_project do
            started = time.perf_counter()
            loaded = load_project(project)
            validate.append(time.perf_counter() - started)
            started = time.perf_counter()
            plan = compile_plan(loaded, registry=Registry())
            compile_.append(time.perf_counter() - started)
    assert len(plan.nodes) == nodes, (len(plan.nodes), nodes)
    load_plan(project)  # warm the cache
    for _ in range(repeat):
        started = time.perf_counter()
        load_plan(project)
        cached.append(time.perf_counter() - started)
    return {"validate": _best(validate), "compile": _best(compile_), "total": _best(validate) + _best(compile_),
            "cached": _best(cached), "median_compile": statistics.median(compile_)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            results[size] = measure(size, args.repeat, Path(tmp))
    print(f"{'nodes':>7} {'validate s':>11} {'compile s':>10} {'total s':>8} {'cached load s':>14}")
    for size, r in results.items():
        print(f"{size:>7} {r['validate']:>11.3f} {r['compile']:>10.3f} {r['total']:>8.3f} {r['cached']:>14.3f}")
    if 1000 in results and 5000 in results:
        for key in ("validate", "compile", "total", "cached"):
            ratio = results[5000][key] / results[1000][key]
            print(f"5,000 / 1,000 {key:>9}: {ratio:.2f}x (goal <= 5.5x)")
        verdict = "meets" if results[1000]["compile"] < 0.5 else "misses"
        print(f"1,000-node compile {results[1000]['compile']:.3f} s: {verdict} the < 0.5 s goal")


if __name__ == "__main__":
    main()
