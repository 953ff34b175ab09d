"""The command line as a person uses it: exit codes and readable output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from odibi_provider.cli import main
from tests.conftest import EXAMPLES, REPO

RETAIL = str(EXAMPLES / "retail")


def test_validate_ok(capsys):
    assert main(["validate", RETAIL, "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "✓ retail: 8 nodes in 3 pipelines" in out


def test_validate_reports_every_problem_and_exits_non_zero(tmp_path, capsys):
    (tmp_path / "odibi.yaml").write_text(
        "project: p\nconnections: {raw: {type: lokal}}\npipelines:\n  - pipeline: b\n    nodes:\n"
        "      - {name: a, read: {connection: raw, format: cvs, path: a.csv}}\n")
    assert main(["validate", str(tmp_path), "--no-color"]) == 1
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'odibi.yaml'}:2  connections.raw.type" in err
    assert "did you mean 'local'?" in err
    assert "pipelines[0].nodes[0].read.format" in err and "2 error(s)" in err


def test_plan_json_is_the_plan(capsys):
    assert main(["plan", RETAIL, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["project"] == "retail" and len(data["nodes"]) == 8


def test_plan_text_lists_levels(capsys):
    assert main(["plan", RETAIL, "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "level 2" in out and "gold.top_products [gold, pandas]" in out


@pytest.mark.parametrize(("fmt", "needle"), [("mermaid", "silver__orders --> gold__top_products"),
                                             ("dot", '"silver.orders" -> "gold.top_products";'),
                                             ("ascii", "[gold] gold.top_products  <- silver.orders, silver.products")])
def test_graph_formats(capsys, fmt, needle):
    assert main(["graph", RETAIL, "--format", fmt]) == 0
    assert needle in capsys.readouterr().out


def test_init_scaffolds_a_valid_project(tmp_path, capsys):
    target = tmp_path / "my shop"
    assert main(["init", str(target)]) == 0
    assert (target / "odibi.yaml").is_file() and (target / "transforms.py").is_file()
    assert (target / "data" / "sales.csv").is_file() and (target / ".gitignore").is_file()
    assert main(["validate", str(target), "--no-color"]) == 0
    assert "my_shop: 4 nodes" in capsys.readouterr().out
    assert main(["init", str(target)]) == 1, "refuses a non-empty folder"


def test_module_entry_point_and_missing_project():
    result = subprocess.run([sys.executable, "-m", "odibi_provider", "validate", "nowhere", "--no-color"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1
    assert "project file not found" in result.stderr
