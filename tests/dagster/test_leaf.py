"""The adapter is a leaf: the core never imports it, and importing the package loads no Dagster."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO

PACKAGE = REPO / "odibi_provider"


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_core_never_imports_the_dagster_adapter():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "dagster" in path.relative_to(PACKAGE).parts:
            continue
        names = _imports(path)
        if any(n == "dagster" or n.startswith(("dagster.", "odibi_provider.dagster")) or n.endswith(".dagster")
               or ".dagster." in n for n in names):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_importing_the_package_is_lazy():
    code = ("import sys, odibi_provider.dagster as d\nassert 'dagster' not in sys.modules\n"
            "d.build_definitions\nassert 'dagster' in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
