"""The odibi MVP's way: a project built from Python config objects runs in-process and is validated like YAML;
seed-style functions ``fn(context, source, **params)`` read their source with ``context.get``; a param that
the runner passes itself is a located compile-time error, not a run-time "multiple values" crash."""

from __future__ import annotations

import pytest

from odibi_provider import load_plan, run_project, transform
from odibi_provider.config import (
    LocalConnection,
    NodeConfig,
    PipelineConfig,
    ProjectConfig,
    ReadConfig,
    TransformConfig,
    WriteConfig,
)
from odibi_provider.errors import ProjectError

pytest.importorskip("duckdb")


@transform
def mvp_clean_sales(context, source: str, min_amount: float = 0):
    """The MVP's transform shape."""
    df = context.get(source)
    return df[df["amount"] >= min_amount]


@transform
def mvp_open_ended(context, **params):
    return context.get(params["source"])


def sales_pipeline(step_params: dict | None = None, function: str = "mvp_clean_sales") -> PipelineConfig:
    return PipelineConfig(pipeline="sales_etl", nodes=[
        NodeConfig(name="load_sales", read=ReadConfig(connection="local", format="csv", path="sales.csv")),
        NodeConfig(name="clean_sales", depends_on=["load_sales"], transform=TransformConfig(steps=[
            {"function": function, "params": step_params or {"source": "load_sales", "min_amount": 100.0}}])),
        NodeConfig(name="save_cleaned", depends_on=["clean_sales"], write=WriteConfig(
            connection="local", format="parquet", path="cleaned_sales.parquet", mode="overwrite")),
    ])


def project(pipeline: PipelineConfig) -> ProjectConfig:
    return ProjectConfig(project="sales", connections={"local": LocalConnection(type="local", base_path="./data")},
                         pipelines=[pipeline])


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.csv").write_text("id,amount\n1,50\n2,150\n3,300\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_mvp_pipeline_runs_from_python_objects(workdir):
    result = run_project(project(sales_pipeline()))
    assert result.ok and [r.status for r in result.results] == ["success"] * 3
    import pandas as pd

    assert sorted(pd.read_parquet(workdir / "data" / "cleaned_sales.parquet")["id"]) == [2, 3]
    assert (workdir / "sales.odibi.yaml").is_file()  # what hosts load in their own processes


def test_a_list_of_pipeline_configs_is_a_project(workdir):
    numbers = PipelineConfig(pipeline="numbers", nodes=[
        NodeConfig(name="make", transform=TransformConfig(steps=["SELECT 1 AS x UNION ALL SELECT 2"])),
        NodeConfig(name="double", depends_on=["make"], transform=TransformConfig(steps=["SELECT x * 2 AS x FROM df"]))])
    result = run_project([numbers])
    assert result.ok and result.project == "numbers"
    assert [r.node_id for r in result.results] == ["numbers.make", "numbers.double"]
    assert [r.rows_out for r in result.results] == [2, 2]


def test_a_param_the_runner_passes_is_a_located_compile_error(workdir):
    bad = sales_pipeline({"source": "load_sales", "context": "x"}, function="mvp_open_ended")
    with pytest.raises(ProjectError) as info:
        load_plan(project(bad), use_cache=False)
    [problem] = [p for p in info.value.problems if p.severity == "error"]
    assert problem.path == "pipelines[0].nodes[1].transform.steps[0].params.context"
    assert problem.line is not None and problem.node == "sales_etl.clean_sales"
    assert "multiple values for argument 'context'" in problem.message


def test_the_seed_signature_binds_its_params(workdir):
    with pytest.raises(ProjectError) as info:
        load_plan(project(sales_pipeline({"source": "load_sales", "min_amout": 1})), use_cache=False)
    assert "has no parameter 'min_amout'" in str(info.value)
