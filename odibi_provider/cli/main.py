"""Argument parsing and dispatch for ``odibi-provider``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..connections.masking import mask_secrets
from ..errors import OdibiError, ProjectError
from . import commands
from .style import Style


def _vars(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--var expects NAME=VALUE, got {item!r}")
        out[name] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="odibi-provider",
                                     description="Compile and run odibi projects in-process, on Dagster or Airflow.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS, help="plain output")
    parser.add_argument("--no-color", action="store_true", help="plain output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def project_command(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, parents=[common])
        cmd.add_argument("path", help="project YAML file or the folder holding odibi.yaml")
        cmd.add_argument("--env", help="environment overlay to apply (from 'environments:')")
        cmd.add_argument("--var", action="append", metavar="NAME=VALUE", help="override a ${vars.NAME}")
        return cmd

    project_command("validate", "check a project and report every problem with its location")
    plan = project_command("plan", "compile a project and show its nodes, levels and datasets")
    plan.add_argument("--json", action="store_true", help="print the Plan as JSON")
    graph = project_command("graph", "draw the node graph")
    graph.add_argument("--format", choices=["mermaid", "dot", "ascii"], default="ascii")
    init = sub.add_parser("init", help="scaffold a runnable project (bronze/silver/gold, data, transforms.py)",
                          parents=[common])
    init.add_argument("directory")
    init.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    commands.add_extra_commands(sub, project_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    style = Style(sys.stdout, enabled=False if args.no_color else None)
    err_style = Style(sys.stderr, enabled=False if args.no_color else None)
    try:
        return commands.dispatch(args, style, vars=_vars(getattr(args, "var", None)))
    except ProjectError as exc:
        commands.print_problems(exc.problems, err_style)
        return 1
    except OdibiError as exc:
        print(err_style("error: ", "red", "bold") + mask_secrets(str(exc)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
