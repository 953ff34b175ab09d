"""Each file in cases/invalid holds one problem; its header says where it is and what the message says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan import compile_project

CASES = sorted((Path(__file__).parent / "cases" / "invalid").glob("*.yaml"))
HEADER = re.compile(r"(env|line|path|message|hint)=(.*?)(?=\s(?:env|line|path|message|hint)=|$)")


def _expectation(case: Path) -> dict[str, str]:
    first = case.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect:"), f"{case.name} needs an '# expect:' header"
    return {k: v.strip() for k, v in HEADER.findall(first.removeprefix("# expect:"))}


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_project_reports_one_located_problem(case: Path, tmp_path: Path) -> None:
    expected = _expectation(case)
    project = tmp_path / "odibi.yaml"
    shutil.copy(case, project)
    with pytest.raises(ProjectError) as caught:
        compile_project(project, env=expected.get("env") or None)
    errors = [p for p in caught.value.problems if p.severity == "error"]
    assert len(errors) == 1, "\n".join(map(str, errors))
    problem = errors[0]
    assert expected["message"] in problem.message
    assert problem.file == str(project)
    assert problem.line == int(expected["line"])
    assert problem.path == expected["path"]
    assert expected["hint"] in (problem.hint or "")
    assert expected["message"] in str(caught.value), "the raised error's text lists the problem"


def test_all_problems_are_collected_not_just_the_first(tmp_path: Path) -> None:
    text = "\n".join(c.read_text(encoding="utf-8") for c in CASES if c.stem in ("bad_write_mode",))
    text = text.replace("mode: upsrt", "mode: upsrt, colour: blue").replace("name: a", "name: a-b")
    (tmp_path / "odibi.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        compile_project(tmp_path)
    messages = sorted(p.message for p in caught.value.problems)
    assert len(messages) == 3
    assert any("invalid name 'a-b'" in m for m in messages)
    assert any("unknown key 'colour'" in m for m in messages)
    assert any("invalid value 'upsrt'" in m for m in messages)


VALID = sorted((Path(__file__).parent / "cases" / "valid").glob("*.yaml"))


@pytest.mark.parametrize("case", VALID, ids=[c.stem for c in VALID])
def test_valid_projects_compile(case: Path, tmp_path: Path) -> None:
    shutil.copy(case, tmp_path / "odibi.yaml")
    plan = compile_project(tmp_path)
    assert plan.nodes and plan.levels
    assert {n.id for n in plan.nodes} == {i for level in plan.levels for i in level}
