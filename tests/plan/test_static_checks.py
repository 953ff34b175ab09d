"""validate reports, before anything runs and each at its YAML location, what it can know statically."""

from __future__ import annotations

import pytest

from odibi_provider.cli import main
from odibi_provider.errors import Problem, ProjectError
from odibi_provider.plan import compile_project

PROJECT = """
project: shop
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
pipelines:
  - pipeline: silver
    nodes:
      - name: customers
        read: {connection: raw, format: csv, path: customers.csv}
      - name: orders
        read: {connection: raw, format: csv, path: orders.csv}
        depends_on: [customers]
        NODE
        write: {connection: out, format: parquet, path: orders.parquet}
"""


def _problems(make_project, node_yaml: str) -> list[Problem]:
    with pytest.raises(ProjectError) as caught:
        compile_project(make_project(PROJECT.replace("NODE", node_yaml)))
    return [p for p in caught.value.problems if p.severity == "error"]


@pytest.mark.parametrize("node_yaml, path, message", [
    pytest.param("transform: {steps: [\"SELECT * FROM df; SELECT 1\"]}", "transform.steps[0]",
                 "exactly one statement; this one has 2", id="two statements"),
    pytest.param("transform: {steps: [{sql: \"SELECT * FROM df WHERE (a = 1\"}]}", "transform.steps[0].sql",
                 "unbalanced '('", id="unbalanced parenthesis"),
    pytest.param("transform: {steps: [\"SELECT * FROM df WHERE a = 'x\"]}", "transform.steps[0]",
                 "does not parse: unterminated string", id="unterminated string"),
    pytest.param("transform: {steps: [\"COPY df TO 'x.csv'\"]}", "transform.steps[0]",
                 "must be one query (SELECT, WITH or FROM ...), not 'COPY'", id="not a query"),
    pytest.param("transform: {steps: [\"SELECT * FROM df JOIN customer USING (id)\"]}", "transform.steps[0]",
                 "reads 'customer', which is not df, an input or an upstream node", id="unknown table"),
    pytest.param("params: {keys: 5}\n        transformer: deduplicate", "params.keys",
                 "param 'keys': expected a name or a list of names, got 5", id="keys: 5"),
    pytest.param("params: {by: [a], ascending: \"yes\"}\n        transformer: sort", "params.ascending",
                 "expected true/false or a list", id="ascending not a flag"),
    pytest.param("params: {right_dataset: customers, \"on\": id, how: outer}\n        transformer: join", "params.how",
                 "expected one of inner, left, right, full, semi, anti, cross, got 'outer'", id="join how"),
])
def test_node_problems_are_located(make_project, node_yaml, path, message):
    problems = _problems(make_project, node_yaml)
    assert [(p.path, p.node) for p in problems] == [(f"pipelines[0].nodes[1].{path}", "silver.orders")]
    assert message in problems[0].message
    assert problems[0].line and problems[0].file.endswith("odibi.yaml")


def test_unknown_table_suggests_the_ones_available_and_known_ones_pass(make_project):
    problem = _problems(make_project, "transform: {steps: [\"SELECT * FROM df JOIN customer USING (id)\"]}")[0]
    assert "did you mean 'customers'?" in (problem.hint or "")
    known = ("WITH recent AS (SELECT * FROM df WHERE extract(year FROM ts) > 2020) "
             "SELECT * FROM recent r JOIN \\\"Customers\\\" c ON r.id = c.id, unnest([1]) AS u(x)")
    compile_project(make_project(PROJECT.replace("NODE", f"transform: {{steps: [\"{known}\"]}}")))


def test_a_static_path_that_escapes_its_connection(make_project):
    text = PROJECT.replace("NODE\n        write: {connection: out, format: parquet, path: orders.parquet}",
                           "write: {connection: out, format: parquet, path: ../../elsewhere/orders.parquet}")
    with pytest.raises(ProjectError) as caught:
        compile_project(make_project(text))
    problem = caught.value.problems[0]
    assert (problem.path, problem.node) == ("pipelines[0].nodes[1].write.path", "silver.orders")
    assert "outside the connection's base_path" in problem.message


def test_unknown_read_options_for_the_format(make_project):
    text = PROJECT.replace("path: orders.csv}", "path: orders.csv, options: {headr: true}}").replace("NODE", "")
    with pytest.raises(ProjectError) as caught:
        compile_project(make_project(text))
    problem = caught.value.problems[0]
    assert (problem.path, problem.node) == ("pipelines[0].nodes[1].read.options.headr", "silver.orders")
    assert "unknown csv read option(s) 'headr' (did you mean 'header'?)" in problem.message


def test_validate_prints_each_problem_with_file_line_and_path(make_project, capsys):
    project = make_project(PROJECT.replace("NODE", "params: {keys: 5}\n        transformer: deduplicate"))
    assert main(["validate", str(project), "--no-color"]) == 1
    err = capsys.readouterr().err
    assert f"error: {project}:14  pipelines[0].nodes[1].params.keys" in err
    assert "Traceback" not in err
