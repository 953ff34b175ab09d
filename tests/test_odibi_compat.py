"""Projects written for Odibi: its function style, ``@transform`` forms, ``transformer:`` naming a project
function, and the hint for ``from odibi import transform``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import OdibiError
from odibi_provider.plan import compile_project
from odibi_provider.runner import run_project

PROJECT = """
project: compat
engine: ENGINE
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
pipelines:
  - pipeline: p
    nodes:
      - name: customers
        read: {connection: raw, format: csv, path: customers.csv}
      - name: orders
        depends_on: [customers]
        read: {connection: raw, format: csv, path: orders.csv}
        transform:
          steps:
            - function: flag_large
              params: {threshold: 10}
            - function: with_customer_name
            - function: only_sql
            - function: modelled
              params: {suffix: "!"}
        write: {connection: out, format: parquet, path: orders.parquet}
      - name: trimmed
        depends_on: [orders]
        transformer: select_columns
        params: {keep: [order_id, name]}
        write: {connection: out, format: parquet, path: trimmed.parquet}
"""
TRANSFORMS = """
from pydantic import BaseModel
from odibi_provider import transform


@transform("flag_large")
def flag_large_orders(context, current, threshold: int):
    current["large"] = current["amount"].astype(int) > threshold
    return current


@transform
def with_customer_name(context, current):
    customers = context.get("customers")
    assert context.engine_type == "pandas" and "amount" in context.columns
    context.register_temp_view("names", customers)
    return context.sql("SELECT df.*, names.name FROM df JOIN names ON df.customer_id = names.customer_id ORDER BY order_id")


@transform
def only_sql(context):
    return context.sql("SELECT * FROM df").df


class Suffix(BaseModel):
    suffix: str = "?"


@transform(name="modelled", param_model=Suffix)
def add_suffix_to_name(context, params, current):
    current["name"] = current["name"] + params.suffix
    return current


@transform
def select_columns(context, current, keep: list):
    # replaces the built-in of the same name for `transformer: select_columns`, as in Odibi
    return current[keep]
"""
DATA = {
    "data/customers.csv": "customer_id,name\n1,ann\n2,bob\n",
    "data/orders.csv": "order_id,customer_id,amount\n10,1,5\n11,2,20\n",
}


def _rows(path: Path) -> list[dict[str, str]]:
    """Rows of a Parquet file or folder, values as lower-case text (engines differ in integer widths)."""
    import pyarrow.parquet as pq

    rows = sorted(pq.read_table(path).to_pylist(), key=lambda row: row["order_id"])
    return [{k: str(v).lower() for k, v in row.items()} for row in rows]


def _messages(error: Any) -> str:
    return "\n".join(f"{p.message} {p.hint}" for p in error.problems)


def write_compat(make_project: Any, engine: str = "pandas", transforms: str = TRANSFORMS) -> Path:
    return make_project(PROJECT.replace("ENGINE", engine), files={"transforms.py": transforms, **DATA})


def check_outputs(project: Path) -> None:
    out = project.parent / "out"
    assert _rows(out / "orders.parquet") == [
        {"order_id": "10", "customer_id": "1", "amount": "5", "large": "false", "name": "ann!"},
        {"order_id": "11", "customer_id": "2", "amount": "20", "large": "true", "name": "bob!"},
    ]
    assert _rows(out / "trimmed.parquet") == [{"order_id": "10", "name": "ann!"}, {"order_id": "11", "name": "bob!"}]


def test_odibi_style_functions_run_with_odibis_context_api(make_project):
    project = write_compat(make_project)
    run = run_project(project)
    assert run.ok, {r.node_id: (r.error, r.traceback) for r in run.results if r.error}
    check_outputs(project)


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pysail.spark", reason="the Sail Spark Connect server (dev extra) runs the Spark nodes")
    from odibi_provider.engines.spark import configure_spark
    from tests.fixtures.sail import sail_spark_session

    session = sail_spark_session()
    configure_spark(session=session)
    return session


def test_odibi_style_functions_run_on_spark(spark, make_project):
    project = write_compat(make_project, engine="spark")
    run = run_project(project)
    assert run.ok, {r.node_id: (r.error, r.traceback) for r in run.results if r.error}
    check_outputs(project)


def test_odibi_style_spark_function_gets_spark_frames_and_session(spark, make_project):
    transforms = TRANSFORMS + '''

@transform(name="only_sql", engine="spark")
def only_sql_spark(context, current):
    assert context.engine_type == "spark", context.engine_type
    assert context.spark is not None
    assert type(current).__module__.startswith("pyspark"), type(current)
    return context.sql("SELECT * FROM df")
'''
    project = write_compat(make_project, engine="spark", transforms=transforms)
    run = run_project(project)
    assert run.ok, {r.node_id: (r.error, r.traceback) for r in run.results if r.error}
    check_outputs(project)


def test_odibi_style_params_are_checked_against_the_signature_and_model(make_project):
    project = make_project(PROJECT.replace("ENGINE", "pandas")
                           .replace("params: {threshold: 10}", "params: {treshold: 10}")
                           .replace('params: {suffix: "!"}', 'params: {sufix: "!"}'),
                           files={"transforms.py": TRANSFORMS, **DATA})
    with pytest.raises(OdibiError) as caught:
        compile_project(project)
    message = _messages(caught.value)
    assert "function 'flag_large' has no parameter 'treshold'" in message and "threshold" in message
    assert "function 'modelled' has no parameter 'sufix'" in message
    assert "current" not in message.split("expected parameters")[1].split("\n")[0]


@pytest.mark.parametrize("line", [
    pytest.param("from odibi import transform", id="from odibi"),
    pytest.param("from odibi.registry import transform", id="from odibi.registry"),
])
def test_importing_odibi_gets_a_located_hint_with_the_one_line_change(make_project, line):
    transforms = "\n# Odibi project\n" + TRANSFORMS.replace("from odibi_provider import transform", line)
    project = write_compat(make_project, transforms=transforms)
    with pytest.raises(OdibiError) as caught:
        compile_project(project)
    message = _messages(caught.value)
    number = transforms.splitlines().index(line) + 1
    assert f"transforms.py:{number}: `{line}` imports Odibi" in message
    assert "replace it with `from odibi_provider import transform`" in message



def test_transformer_names_a_project_function_and_our_style_context_runs_sql(make_project):
    project = make_project("""
        project: plain
        connections:
          raw: {type: local, base_path: data}
          out: {type: local, base_path: out}
        pipelines:
          - pipeline: p
            nodes:
              - name: tagged
                read: {connection: raw, format: csv, path: orders.csv}
                transformer: tag
                params: {label: vip}
                write: {connection: out, format: parquet, path: tagged.parquet}
        """, files={**DATA, "transforms.py": """
        from odibi_provider import transform


        @transform
        def tag(df, label, context=None):
            return context.sql("SELECT *, 'vip' AS label FROM df").df if label == "vip" else df
        """})
    run = run_project(project)
    assert run.ok, {r.node_id: r.error for r in run.results if r.error}
    assert [row["label"] for row in _rows(project.parent / "out" / "tagged.parquet")] == ["vip", "vip"]


def test_param_model_values_are_checked_at_validate_with_their_location(make_project):
    project = make_project(PROJECT.replace("ENGINE", "pandas").replace('params: {suffix: "!"}',
                                                                       "params: {suffix: [1, 2]}"),
                           files={"transforms.py": TRANSFORMS, **DATA})
    with pytest.raises(OdibiError) as caught:
        compile_project(project)
    [problem] = caught.value.problems
    assert problem.path == "pipelines[0].nodes[1].transform.steps[3].params.suffix"
    assert problem.message == "function 'modelled': Input should be a valid string"
    assert problem.hint == "see the fields of Suffix"


def test_an_odibi_style_function_without_current_generates_a_nodes_rows(make_project):
    project = make_project("""
        project: generated
        connections:
          out: {type: local, base_path: out}
        pipelines:
          - pipeline: p
            nodes:
              - name: calendar
                transformer: make_days
                params: {days: 3}
              - name: weekdays
                depends_on: [calendar]
                transform: {steps: ["SELECT day FROM df WHERE day > 1"]}
                write: {connection: out, format: parquet, path: days.parquet}
        """, files={"transforms.py": """
        import pandas as pd
        from odibi_provider import transform


        @transform
        def make_days(context, days: int):
            return pd.DataFrame({"day": range(1, days + 1)})
        """})
    run = run_project(project)
    assert run.ok, {r.node_id: r.error for r in run.results if r.error}
    import pyarrow.parquet as pq

    assert pq.read_table(project.parent / "out" / "days.parquet").column("day").to_pylist() == [2, 3]
