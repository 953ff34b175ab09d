"""``clean_text``'s ``operations`` (Odibi's quarantine_workflow example writes ``operations: [trim, lower]``;
Odibi's model ignores the key): the listed operations run as written on the embedded engine and on Spark, and a
bad list is an error naming the allowed values, located at ``validate``."""

from __future__ import annotations

from typing import Any

import pytest

from odibi_provider.errors import ExecutionError, ProjectError
from odibi_provider.plan import compile_project
from odibi_provider.plan.frozen import FrozenMap
from tests.engines.sql.test_library_core_sql import PROJECT
from tests.engines.test_engine_parity import embedded, frame, spark  # noqa: F401 (fixtures)

DATA = {"id": [1, 2, 3], "status": ["  Shipped ", "PENDING", None], "note": [" Keep ", "x", "y"]}


def cleaned(engine: Any, params: dict[str, Any]) -> list[tuple[Any, Any]]:
    result, _ = engine.transformer("clean_text", FrozenMap(params), frame(engine, DATA), {})
    return sorted((r["id"], r["status"], r["note"]) for r in engine.sample(result, 10))


@pytest.mark.parametrize(("operations", "status"), [
    pytest.param(["trim", "lower"], ["shipped", "pending", None], id="trim and lower"),
    pytest.param(["upper"], ["  SHIPPED ", "PENDING", None], id="upper only, no trim"),
    pytest.param(["trim"], ["Shipped", "PENDING", None], id="trim only"),
])
def test_operations_run_as_written(embedded: Any, spark: Any, operations: list[str],  # noqa: F811
                                   status: list[Any]) -> None:
    expected = [(i, s, n) for i, s, n in zip(DATA["id"], status, DATA["note"], strict=True)]
    for engine in (embedded, spark):
        assert cleaned(engine, {"columns": ["status"], "operations": operations}) == expected


@pytest.mark.parametrize(("params", "message"), [
    pytest.param({"operations": ["trim", "title"]}, "expected a non-empty list of operations (allowed: trim, lower, "
                 "upper), got ['trim', 'title']", id="unknown operation"),
    pytest.param({"operations": ["lower", "upper"]}, "lower and upper contradict each other: keep one (allowed: "
                 "trim, lower, upper)", id="lower and upper"),
    pytest.param({"operations": ["lower"], "case": "upper"}, "give operations (allowed: trim, lower, upper) or "
                 "case, not both", id="with case"),
    pytest.param({"operations": ["lower"], "trim": False}, "give operations (allowed: trim, lower, upper) or "
                 "trim, not both", id="with trim"),
])
def test_a_bad_operations_list_is_refused_on_both_engines(embedded: Any, spark: Any,  # noqa: F811
                                                          params: dict[str, Any], message: str) -> None:
    for engine in (embedded, spark):
        with pytest.raises(ExecutionError, match="param 'operations': ") as caught:
            engine.transformer("clean_text", FrozenMap({"columns": ["status"], **params}), frame(engine, DATA), {})
        assert message in str(caught.value)


def project(make_project: Any, operations: str) -> Any:
    return make_project(PROJECT.replace("TRANSFORMER", "clean_text").replace(
        "PARAMS", f"{{columns: [status], operations: {operations}}}"))


def test_validate_accepts_operations_and_locates_a_bad_one(make_project: Any) -> None:
    compile_project(project(make_project, "[trim, lower]"))
    with pytest.raises(ProjectError) as caught:
        compile_project(project(make_project, "[trim, snake]"))
    [problem] = [p for p in caught.value.problems if p.severity == "error"]
    assert problem.path == "pipelines[0].nodes[0].params.operations"
    assert "(allowed: trim, lower, upper), got ['trim', 'snake']" in problem.message
    assert problem.line == 11 and problem.file.endswith("odibi.yaml")
