"""Substituted values never change a SQL statement: quoted values are escaped, unquoted ones are plain literals."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan import compile_project
from odibi_provider.runner import RunContext, run_node, run_project

PROJECT = """
project: shop
vars: {region: emea, min_qty: 2}
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {connection: out, path: stories, enabled: false}
system: {connection: out, path: _system}
pipelines:
  - pipeline: silver
    nodes:
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        transform:
          steps:
            - STEP
        write: {connection: out, format: csv, path: orders.csv}
"""
ORDERS = "id,region,qty\n1,emea,1\n2,emea,5\n3,apac,7\n4,O'Brien,3\n"


def _project(make_project, step: str) -> Path:
    return make_project(PROJECT.replace("STEP", step), {"data/orders.csv": ORDERS})


def _run(project: Path, **vars: str) -> list[dict[str, str]]:
    result = run_project(compile_project(project, vars=vars))
    assert result.ok, result
    with (project.parent / "out" / "orders.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_quote_in_a_quoted_value_cannot_widen_a_filter(make_project):
    project = _project(make_project, "\"SELECT * FROM df WHERE region = '${vars.region}'\"")
    assert _run(project, region="x' OR '1'='1") == []
    assert [r["id"] for r in _run(project, region="O'Brien")] == ["4"], "the value is compared as written"


def test_a_stacked_statement_is_refused_with_its_location(make_project, tmp_path):
    project = _project(make_project, '"SELECT * FROM df WHERE qty >= ${vars.min_qty}"')
    outside = tmp_path / "pwned.csv"
    with pytest.raises(ProjectError) as caught:
        compile_project(project, vars={"min_qty": f"0; COPY (SELECT 42) TO '{outside}'"})
    problem = caught.value.problems[0]
    assert "'${vars.min_qty}' is substituted outside quotes" in problem.message
    assert (problem.path, problem.node, problem.line) == ("pipelines[0].nodes[0].transform.steps[0]",
                                                          "silver.orders", 16)
    assert problem.file == str(project)
    assert "put it in quotes" in (problem.hint or "")
    assert not outside.exists()
    assert [r["id"] for r in _run(project, min_qty="2")] == ["2", "3", "4"], "a number is a plain literal"
    assert len(_run(project, min_qty="qty")) == 4, "so is a name of letters, digits and _"


@pytest.mark.parametrize("value", [
    pytest.param("1 OR 1=1", id="expression"),
    pytest.param("1)", id="parenthesis"),
    pytest.param("'x'", id="quoted"),
    pytest.param("-1", id="minus after minus starts a comment"),
])
def test_non_literals_outside_quotes_fail_to_load(make_project, value):
    project = _project(make_project, '"SELECT * FROM df WHERE qty >-${vars.min_qty} AND region = \'emea\'"')
    with pytest.raises(ProjectError, match="must be a plain literal"):
        compile_project(project, vars={"min_qty": value})


@pytest.mark.parametrize("node_yaml, path", [
    pytest.param("transformer: filter_rows\n        params: {condition: \"qty > ${vars.min_qty}\"}",
                 "params.condition", id="filter_rows condition"),
    pytest.param("transformer: derive_columns\n        params: {derivations: {q: \"qty + ${vars.min_qty}\"}}",
                 "params.derivations.q", id="derive_columns"),
    pytest.param("validation: {tests: [{type: custom_sql, condition: \"qty > ${vars.min_qty}\"}]}",
                 "validation.tests[0].condition", id="custom_sql test"),
])
def test_sql_params_follow_the_same_rule(make_project, node_yaml, path):
    text = PROJECT.replace("transform:\n          steps:\n            - STEP", node_yaml)
    project = make_project(text, {"data/orders.csv": ORDERS})
    with pytest.raises(ProjectError, match="must be a plain literal") as caught:
        compile_project(project, vars={"min_qty": "0 OR true"})
    assert caught.value.problems[0].path == f"pipelines[0].nodes[0].{path}"


def test_a_value_cannot_end_the_comment_it_sits_in(make_project):
    project = _project(make_project, '"SELECT * FROM df -- for ${vars.region}\\n WHERE region = \'emea\'"')
    with pytest.raises(ProjectError, match="would end the SQL comment"):
        compile_project(project, vars={"region": "x\nOR true"})


def test_a_backslash_before_a_quote_is_refused(make_project):
    """On engines that read backslash escapes (Spark) ``\\'`` would end the literal early."""
    project = _project(make_project, "\"SELECT * FROM df WHERE region = '${vars.region}'\"")
    with pytest.raises(ProjectError, match="backslash next to a quote"):
        compile_project(project, vars={"region": "x\\' OR 1=1 --"})


def test_a_sql_step_runs_only_as_one_query(make_project, tmp_path):
    """A Plan whose SQL step holds two statements (built or edited outside the compiler) fails, runs nothing."""
    from dataclasses import replace

    project = _project(make_project, '"SELECT * FROM df"')
    plan = compile_project(project)
    outside = tmp_path / "written.csv"
    node = plan.nodes[0]
    step = replace(node.steps[0], sql=f"SELECT * FROM df; COPY (SELECT 42) TO '{outside}'")
    plan = replace(plan, nodes=(replace(node, steps=(step,)),))
    result = run_node(plan, node.id, RunContext(plan))
    assert not result.ok
    assert "exactly one statement" in str(result.error)
    assert not outside.exists()
