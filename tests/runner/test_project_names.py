"""Project names are free text as in Odibi; hosts get one stable identifier (the slug) derived from it."""

from __future__ import annotations

import pytest

from odibi_provider.cli.main import main
from odibi_provider.errors import ProjectError
from odibi_provider.plan import load_plan
from odibi_provider.plan.naming import project_slug
from odibi_provider.runner import run_project
from tests.fixtures import free_text_project as fx


@pytest.mark.parametrize(("name", "slug"), [
    pytest.param("retail", "retail", id="an identifier is kept as written"),
    pytest.param("Customer360", "Customer360", id="case is kept"),
    pytest.param(fx.NAME, fx.SLUG, id="spaces and brackets"),
    pytest.param("Données  Ventes / 2024", "Donnees_Ventes_2024", id="accents dropped, runs of symbols one _"),
    pytest.param("2024 report", "_2024_report", id="a leading digit"),
    pytest.param("***", "project", id="nothing usable"),
])
def test_slug(name, slug):
    assert project_slug(name) == slug


def test_a_free_text_project_runs_in_process_and_its_story_keeps_the_name(tmp_path):
    project = fx.write(tmp_path)
    result = run_project(project)
    assert result.ok, result
    assert result.project == fx.NAME
    assert (tmp_path / "lake" / "total.csv").read_text().split() == ["total", "30"]
    assert fx.story_titles(tmp_path) == {fx.NAME}


def test_validate_and_plan_show_the_identifier(tmp_path, capsys):
    fx.write(tmp_path)
    assert main(["validate", str(tmp_path), "--no-color"]) == 0
    assert f"{fx.NAME} (id {fx.SLUG}): 2 nodes" in capsys.readouterr().out
    assert main(["plan", str(tmp_path), "--no-color"]) == 0
    assert capsys.readouterr().out.startswith(f"{fx.NAME} (id {fx.SLUG})  engine=pandas")


def test_an_empty_name_is_refused_where_it_is_written(make_project):
    project = make_project(fx.PROJECT.replace(f"project: {fx.NAME}", 'project: "  "'))
    with pytest.raises(ProjectError) as caught:
        load_plan(project, use_cache=False)
    problem = caught.value.problems[0]
    assert problem.path == "project" and problem.line == 2 and "project name is empty" in problem.message


def test_pipeline_and_node_names_stay_identifiers_as_in_odibi(make_project):
    project = make_project(fx.PROJECT.replace("- pipeline: bronze", "- pipeline: bronze layer"))
    with pytest.raises(ProjectError, match="pipelines\\[0\\].pipeline"):
        load_plan(project, use_cache=False)
