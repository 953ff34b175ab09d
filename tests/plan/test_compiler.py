"""Compiling a project into the Plan: edges, levels, datasets, hashes, binding, JSON round trip."""

from __future__ import annotations

import dataclasses

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan import Plan, compile_project
from tests.conftest import EXAMPLES

THREE_WAYS = """
project: p
connections:
  raw: {type: local, base_path: data}
  lake: {type: local, base_path: lake}
  db: {type: sql, url: "sqlite:///warehouse.db"}
pipelines:
  - pipeline: bronze
    layer: bronze
    nodes:
      - name: load
        read: {connection: raw, format: csv, path: in.csv}
        write: {connection: lake, format: parquet, path: bronze/in.parquet}
      - name: clean
        depends_on: [load]
        transform: {steps: ["SELECT * FROM load WHERE id IS NOT NULL"]}
        write: {connection: db, format: sql, table: clean}
  - pipeline: silver
    layer: silver
    nodes:
      - name: from_file
        read: {connection: lake, format: parquet, path: ./bronze/in.parquet}
      - name: from_input
        inputs: {c: $bronze.clean}
      - name: from_table
        read: {connection: db, format: sql, table: CLEAN}
"""


def test_edges_come_from_depends_on_inputs_and_datasets(make_project):
    plan = compile_project(make_project(THREE_WAYS))
    edges = {(e.upstream, e.downstream, e.kind) for e in plan.edges}
    assert edges == {
        ("bronze.load", "bronze.clean", "depends_on"),
        ("bronze.load", "silver.from_file", "dataset"),
        ("bronze.clean", "silver.from_input", "input"),
        ("bronze.clean", "silver.from_table", "dataset"),
    }
    assert plan.levels == (("bronze.load",), ("bronze.clean", "silver.from_file"),
                           ("silver.from_input", "silver.from_table"))
    assert [n.id for n in plan.nodes] == [i for level in plan.levels for i in level]
    assert plan.node("silver.from_input").inputs == {"c": "bronze.clean"}
    assert plan.downstream("bronze.load") == ("bronze.clean", "silver.from_file")


def test_datasets_have_uris(make_project):
    project = make_project(THREE_WAYS)
    plan = compile_project(project)
    uris = {d.node_id: d.uri for d in plan.datasets}
    assert uris["bronze.load"] == "x-odibi://p/lake/bronze/in.parquet"  # the same on every machine
    assert uris["bronze.clean"] == "sqlite:///warehouse.db/clean"


def test_plan_round_trips_through_json(make_project):
    plan = compile_project(EXAMPLES / "retail")
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert again.node("silver.orders").write.keys == ("order_id",)
    assert dataclasses.is_dataclass(again.nodes[0]) and isinstance(again.nodes, tuple)


def test_plan_is_frozen():
    plan = compile_project(EXAMPLES / "retail")
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.nodes[0].engine = "spark"  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.nodes[0].read.options["x"] = 1  # type: ignore[index]


def test_layer_engine_owner_and_retry_inherit(make_project):
    text = """
    project: p
    engine: pandas
    owner: team@x.io
    retry: {max_attempts: 4, backoff: linear, delay_seconds: 2}
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: ingest
        engine: spark
        tags: [nightly]
        nodes:
          - {name: a, read: {connection: raw, format: csv, path: a.csv}, tags: [pii]}
          - {name: b, depends_on: [a], engine: pandas, retry: {enabled: false}, owner: me@x.io}
    """
    plan = compile_project(make_project(text))
    a, b = plan.node("ingest.a"), plan.node("ingest.b")
    assert (a.engine, a.layer, a.owner, a.tags) == ("spark", "ingest", "team@x.io", ("nightly", "pii"))
    assert a.retry.max_attempts == 4 and a.retry.delay(3) == 6
    assert (b.engine, b.retry, b.owner) == ("pandas", None, "me@x.io")


def test_content_hash_follows_sql_and_function_source(make_project):
    text = """
    project: p
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - name: a
            read: {connection: raw, format: csv, path: a.csv}
            transform: {steps: [{function: scale, params: {factor: 2}}]}
          - name: c
            depends_on: [a]
            transform: {steps: ["SELECT * FROM df"]}
    """
    code = "from odibi_provider import transform\n@transform\ndef scale(df, factor):\n    return df{}\n"
    base = compile_project(make_project(text, files={"transforms.py": code.format("")}))
    same = compile_project(make_project(text, files={"transforms.py": code.format("")}))
    new_code = compile_project(make_project(text, files={"transforms.py": code.format(" * factor")}))
    new_sql = compile_project(make_project(text.replace("SELECT *", "SELECT a"),
                                           files={"transforms.py": code.format("")}))
    hashes = [{n.id: n.content_hash for n in p.nodes} for p in (base, same, new_code, new_sql)]
    assert hashes[0] == hashes[1]
    assert hashes[2]["b.a"] != hashes[0]["b.a"] and hashes[2]["b.c"] == hashes[0]["b.c"]
    assert hashes[3]["b.c"] != hashes[0]["b.c"] and hashes[3]["b.a"] == hashes[0]["b.a"]


def test_function_params_are_bound_to_the_signature(make_project):
    text = """
    project: p
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - name: a
            read: {connection: raw, format: csv, path: a.csv}
            transform:
              steps:
                - {function: scale, params: {factr: 2, unit: x}}
    """
    code = "from odibi_provider import transform\n@transform\ndef scale(df, context, factor, unit='m'):\n    return df\n"
    with pytest.raises(ProjectError) as caught:
        compile_project(make_project(text, files={"transforms.py": code}))
    (problem,) = caught.value.problems
    assert problem.message == "function 'scale' has no parameter 'factr'"
    assert problem.path == "pipelines[0].nodes[0].transform.steps[0].params.factr"
    assert problem.hint == "did you mean 'factor'? expected parameters: factor, unit"
    assert problem.line == 11 and problem.node == "b.a"


def test_pandas_only_function_on_a_spark_node_is_a_compile_error(make_project):
    text = """
    project: p
    engine: spark
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - name: a
            read: {connection: raw, format: csv, path: a.csv}
            transform: {steps: [{function: tidy}]}
    """
    code = "from odibi_provider import transform\n@transform(engine='pandas')\ndef tidy(df):\n    return df\n"
    with pytest.raises(ProjectError, match=r"transform 'tidy' has no 'spark' or 'any' variant"):
        compile_project(make_project(text, files={"transforms.py": code}))


def test_a_broken_transforms_module_is_a_located_problem(make_project):
    text = "project: p\npipelines: []\n"
    with pytest.raises(ProjectError, match=r"cannot import transforms 'transforms.py': ZeroDivisionError"):
        compile_project(make_project(text, files={"transforms.py": "x = 1 / 0\n"}))


def test_disabled_nodes_leave_the_plan_and_dependents_are_told(make_project):
    text = """
    project: p
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - {name: a, enabled: false, read: {connection: raw, format: csv, path: a.csv}}
          - {name: c, depends_on: [a]}
    """
    with pytest.raises(ProjectError, match="depends on 'b.a', which is disabled"):
        compile_project(make_project(text))


def test_two_nodes_writing_one_dataset_is_an_error(make_project):
    text = """
    project: p
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - {name: a, read: {connection: raw, format: csv, path: a.csv}, write: {connection: raw, format: csv, path: out.csv}}
          - {name: c, read: {connection: raw, format: csv, path: c.csv}, write: {connection: raw, format: csv, path: ./out.csv}}
    """
    with pytest.raises(ProjectError, match="'b.c' writes the same dataset as 'b.a'"):
        compile_project(make_project(text))
