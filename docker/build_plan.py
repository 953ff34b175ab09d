"""Compile an odibi project's Plan into the plan cache at image build time (the Dockerfile runs this).

    python docker/build_plan.py /opt/odibi/project [--env prod]

Containers started from the image load the Plan from ``$ODIBI_PROVIDER_CACHE_DIR`` instead of compiling
it: run with the same project path, ``--env`` and package version as the code location and DAG files
(``ODIBI_PROJECT`` / ``ODIBI_ENV`` in the image). Exits 1, printing every problem with its location, when
the project is not valid, and when the Plan could not be cached (a project imported from a database).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from odibi_provider.cli.commands import print_problems
from odibi_provider.cli.style import Style
from odibi_provider.errors import ProjectError
from odibi_provider.manifest.project_file import find_project_file
from odibi_provider.plan.cache import CACHE_DIR_ENV, load_plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", help="the project folder or its odibi.yaml, at the path containers use")
    parser.add_argument("--env", default=os.environ.get("ODIBI_ENV") or None,
                        help="environment overlay (default: $ODIBI_ENV)")
    args = parser.parse_args(argv)
    started = time.time()
    try:
        plan = load_plan(args.project, env=args.env)
    except ProjectError as exc:
        print_problems(exc.problems, Style(sys.stderr, enabled=False))
        return 1
    project_file = find_project_file(args.project)
    cache_dir = Path(os.environ.get(CACHE_DIR_ENV) or project_file.parent / ".odibi" / "cache")
    written = [p for p in cache_dir.glob("plan-*.json") if p.stat().st_mtime >= started - 1]
    if not written:
        print(f"error: the Plan of {project_file} was compiled but not cached in {cache_dir} (a project "
              "imported from a database is compiled when it loads); nothing to bake into the image",
              file=sys.stderr)
        return 1
    print(f"plan of {plan.project} ({len(plan.nodes)} nodes, env {args.env or '-'}) cached in {cache_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
