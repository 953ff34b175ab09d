"""Hostile YAML: alias bombs, deep nesting and bytes that are not UTF-8 are located errors, never a hang,
a crash or a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.manifest import load_project
from tests.conftest import REPO


def alias_bomb() -> str:
    """~400 bytes that expand to 9**9 strings (the "billion laughs")."""
    lines = ["project: bomb", "vars:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    lines += [f"  i: [{', '.join(['*h'] * 9)}]", "pipelines: []"]
    return "\n".join(lines) + "\n"


def block_nesting(levels: int) -> str:
    keys = "".join(f"{'  ' * (i + 2)}k{i}:\n" for i in range(levels))
    return f"project: deep\nvars:\n  x:\n{keys}{'  ' * (levels + 2)}v: 1\npipelines: []\n"


def flow_nesting(levels: int) -> str:
    return f"project: deep\nvars:\n  x: {'[' * levels}1{']' * levels}\npipelines: []\n"


def validate(project: Path) -> subprocess.CompletedProcess[str]:
    """``validate`` in its own process: a hang fails the test instead of stalling the suite."""
    return subprocess.run([sys.executable, "-m", "odibi_provider", "validate", str(project), "--no-color"],
                          cwd=REPO, capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize(("text", "line", "message"), [
    pytest.param(alias_bomb(), 8, "aliases expand to more than 100,000 values", id="alias bomb"),
    pytest.param(block_nesting(300), 102, "nests deeper than 100 levels", id="300 block levels"),
    pytest.param(flow_nesting(300), 3, "nests deeper than 100 levels", id="300 flow levels"),
    pytest.param(flow_nesting(100_000), 3, "nests deeper than 100 levels", id="100k flow levels"),
    pytest.param("project: p\nvars:\n  x: &x [1, *x]\npipelines: []\n", 3, "alias *x refers to a node that "
                 "contains it", id="recursive alias"),
])
def test_validate_refuses_hostile_yaml_quickly_with_a_located_error(tmp_path: Path, text: str, line: int,
                                                                    message: str) -> None:
    (tmp_path / "odibi.yaml").write_text(text, encoding="utf-8")
    result = validate(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"odibi.yaml:{line}" in output and message in output, output
    assert "Traceback" not in output and "RecursionError" not in output


def test_a_wide_alias_expansion_is_refused_by_load_project(make_project) -> None:
    row = f"[{', '.join(['x'] * 100)}]"
    text = f"project: p\nvars:\n  row: &row {row}\n  rows: [{', '.join(['*row'] * 1_100)}]\npipelines: []\n"
    with pytest.raises(ProjectError) as caught:
        load_project(make_project(text))
    problem = caught.value.problems[0]
    assert (problem.line, problem.code) == (4, "yaml")
    assert "aliases expand to more than 100,000 values" in problem.message and problem.hint


def test_anchors_used_reasonably_still_load(make_project) -> None:
    text = """
    project: shared
    vars:
      defaults: &defaults {format: csv, options: {header: true, delimiter: ","}}
      copies: [*defaults, *defaults, *defaults]
      merged: {<<: *defaults, name: &name orders}
      same_name: *name
      nested: {a: {b: {c: {d: {e: {f: {g: {h: 1}}}}}}}}
    pipelines: []
    """
    variables = load_project(make_project(text)).config.vars
    assert variables["copies"][2]["options"]["delimiter"] == ","
    assert (variables["merged"]["format"], variables["merged"]["options"]["header"]) == ("csv", True)
    assert variables["same_name"] == "orders"
    assert variables["nested"]["a"]["b"]["c"]["d"]["e"]["f"]["g"]["h"] == 1


def test_a_latin1_byte_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    project = tmp_path / "odibi.yaml"
    project.write_bytes("project: cafe\n# owner: Jos\xe9\npipelines: []\n".encode("latin-1"))
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(project), 2)
    assert "not UTF-8" in problem.message and "0xe9" in problem.message and "UTF-8" in (problem.hint or "")
    output = validate(tmp_path).stderr
    assert f"{project}:2" in output and "not UTF-8" in output


def test_a_latin1_byte_in_an_imported_file_names_that_file(make_project) -> None:
    project = make_project("project: p\nimports: [more.yaml]\npipelines: []\n")
    (project.parent / "more.yaml").write_bytes(b"vars:\n  a: 1\n  b: 'caf\xe9'\n")
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    problem = caught.value.problems[0]
    assert (Path(problem.file or "").name, problem.line) == ("more.yaml", 3)
