"""The CLI's commands: each takes parsed arguments and prints for a person (or JSON for a program)."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..plan.cache import check_project
from ..plan.model import Plan
from .graph_render import RENDERERS
from .style import Style


def add_extra_commands(sub: Any, project_command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Commands whose work lives in heavier modules (imported only when they run)."""
    run = project_command("run", "run a project in-process on its engines, with a live progress display")
    run.add_argument("--select", help="node ids, pipelines, layer:NAME, tag:NAME; +x for upstream, x+ downstream")
    run.add_argument("--workers", type=int, default=None,
                     help="nodes run in parallel (default: the project's performance.max_workers, else 4)")
    run.add_argument("--resume", action="store_true",
                     help="continue the last run (also a killed one) under its run id: only the nodes that did "
                     "not complete; says so and exits 0 when there is nothing left")
    run.add_argument("--engine", choices=["pandas", "spark"], help="override every node's engine")
    run.add_argument("--logical-time", type=_logical_time, metavar="ISO",
                     help="the run's logical time for freshness checks, e.g. 2026-04-30 or 2026-04-30T06:00 "
                     "(UTC unless an offset is given; default: now)")
    imp = sub.add_parser("import", help="write an odibi_de_v2 manifest or an ODIBI CORE step list as odibi.yaml")
    imp.add_argument("path", help="manifest.json (or its folder), or a step list (.json, .csv, .db)")
    imp.add_argument("--to", help="the YAML file to write (default: odibi.yaml beside the source)")
    imp.add_argument("--force", action="store_true", help="replace an existing --to file")
    imp.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS, help="plain output")
    serve = project_command("serve-stories", "serve the project's run stories read-only over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765; 0: any free)")


def dispatch(args: argparse.Namespace, style: Style, *, vars: dict[str, str]) -> int:
    if args.command == "init":
        return init(args, style)
    if args.command == "run":
        return run(args, style, vars)
    if args.command == "import":
        return import_project(args, style)
    if args.command == "serve-stories":
        from .serve import serve_stories

        return serve_stories(args, style, vars)
    started = time.perf_counter()
    plan, warnings = check_project(args.path, env=args.env, vars=vars)
    if args.command == "validate":
        print_problems(warnings, style, sys.stdout)
        return validate(plan, style, time.perf_counter() - started)
    if args.command == "plan":
        return show_plan(plan, style, as_json=args.json)
    if args.command == "graph":
        print(RENDERERS[args.format](plan))
        return 0
    raise SystemExit(f"unknown command {args.command}")  # pragma: no cover - argparse refuses first


def print_problems(problems: Iterable[Problem], style: Style, stream: Any = None) -> None:
    stream = stream or sys.stderr
    problems = list(problems)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        print(style(f"{problem.severity}: ", colour, "bold") + style(problem.location, "bold")
              + (style(f"  {problem.path}", "cyan") if problem.path else ""), file=stream)
        node = f" (node {problem.node})" if problem.node else ""
        print(f"  {problem.message}{node}", file=stream)
        if problem.hint:
            print(style(f"  hint: {problem.hint}", "dim"), file=stream)
    if errors:
        print(style(f"\n{len(errors)} error(s); the project is not valid.", "red", "bold"), file=stream)


def _workers(plan: Plan, args: argparse.Namespace) -> int:
    from ..runner.performance import workers

    return workers(plan.performance, args.workers)


def _named(plan: Plan) -> str:
    """The project name, and the identifier hosts use for it when that differs (plan/naming.py)."""
    from ..plan.naming import project_slug

    slug = project_slug(plan.project)
    return plan.project if slug == plan.project else f"{plan.project} (id {slug})"


def validate(plan: Plan, style: Style, seconds: float) -> int:
    layers = Counter(n.layer for n in plan.nodes)
    print(style("✓ ", "green", "bold") + f"{_named(plan)}: {len(plan.nodes)} nodes in "
          f"{len(plan.pipelines)} pipelines, {len(plan.edges)} edges, {len(plan.levels)} levels "
          f"({seconds * 1000:.0f} ms)")
    print("  layers: " + ", ".join(f"{k} {v}" for k, v in layers.items()))
    return 0


def show_plan(plan: Plan, style: Style, *, as_json: bool) -> int:
    if as_json:
        print(plan.to_json(indent=2))
        return 0
    print(style(_named(plan), "bold") + f"  engine={plan.engine}  env={plan.env or '-'}  "
          f"source={plan.source_hash}")
    for depth, level in enumerate(plan.levels):
        print(style(f"level {depth}", "blue", "bold"))
        for node_id in level:
            node = plan.node(node_id)
            target = ""
            if node.dataset:
                dataset = plan.dataset(node.dataset)
                target = f" -> {dataset.uri if dataset else node.dataset} ({node.write.mode})" if node.write else ""
            print(f"  {style(node_id, 'bold')} [{node.layer}, {node.engine}]{target}")
            details = [f"steps={len(node.steps)}"] + ([f"tests={len(node.tests)}"] if node.tests else [])
            if node.upstream:
                details.append("after " + ", ".join(node.upstream))
            print(style("    " + "  ".join(details) + f"  hash={node.content_hash}", "dim"))
    return 0


def _logical_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or time: write 2026-04-30 or "
                                         "2026-04-30T06:00:00+00:00") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def run(args: argparse.Namespace, style: Style, vars: dict[str, str]) -> int:
    from ..plan.cache import load_plan
    from ..runner import RunContext, run_project, select_nodes
    from ..runner.state import NothingToResume, resume_point
    from .run_display import Progress, print_summary

    plan = load_plan(args.path, env=args.env, vars=vars)
    try:
        if args.resume:
            last, nodes = resume_point(plan, RunContext(plan=plan).system_store, args.select)
            total = len(nodes)
            print(style(f"resuming run {last.run_id} of {plan.project}", "bold")
                  + f": {total} of {len(last.selected)} nodes left, {_workers(plan, args)} workers")
        else:
            total = len(select_nodes(plan, args.select))
            print(style(f"running {plan.project}", "bold") + f": {total} nodes, {_workers(plan, args)} workers")
        with Progress(total, style) as progress:
            result = run_project(plan, select=args.select, workers=args.workers, resume=args.resume,
                                 engine=args.engine, progress=progress, logical_time=args.logical_time)
    except NothingToResume as exc:  # the data is complete: not a failure (a scheduler's retry ends here)
        print(style("note: ", "yellow", "bold") + str(exc))
        return 0
    print_summary(result, style)
    return 0 if result.ok else 1


def init(args: argparse.Namespace, style: Style) -> int:
    from ..scaffold import scaffold_project

    target = Path(args.directory)
    written = scaffold_project(target, force=args.force)
    print(style("✓ ", "green", "bold") + f"created an odibi project in {target} ({len(written)} files)")
    print(f"  next: odibi-provider validate {target}")
    print(f"        odibi-provider graph {target}")
    return 0


def import_project(args: argparse.Namespace, style: Style) -> int:
    from ..importers.to_yaml import convert

    target, warnings = convert(Path(args.path), Path(args.to) if args.to else None, force=args.force)
    print_problems(warnings, style, sys.stdout)
    print(style("✓ ", "green", "bold") + f"wrote {target}")
    print(f"  next: odibi-provider validate {target}")
    return 0
