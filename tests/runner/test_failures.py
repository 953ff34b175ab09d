"""Retryable or not is decided once, by the runner, from the failure itself: deterministic failures (bad
SQL, unknown columns, validation, bugs in a function) are never retried; transient ones (I/O, network,
timeouts, commit conflicts) are, by local retries and by both hosts (they read ``NodeResult.retryable``)."""

from __future__ import annotations

import duckdb
import pytest

from odibi_provider.errors import ExecutionError
from odibi_provider.runner import run_project
from odibi_provider.runner.failures import is_retryable
from odibi_provider.runner.node import ValidationFailed


def _raised(make: type[BaseException] | None = None, *, inner: BaseException | None = None) -> BaseException:
    """A real raised exception (``inner`` as its cause when given)."""
    try:
        if inner is None:
            raise make("boom") if make else RuntimeError("boom")
        try:
            raise inner
        except BaseException as cause:
            raise ExecutionError("step 1 (sql): SQL failed") from cause
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("unreachable")


def _duckdb_error(sql: str) -> BaseException:
    try:
        duckdb.sql(sql).fetchall()
    except duckdb.Error as exc:
        return exc
    raise AssertionError(f"{sql} ran")


@pytest.mark.parametrize(("error", "retryable"), [
    pytest.param(_raised(inner=_duckdb_error("SELECT nope FROM range(3)")), False, id="duckdb binder error"),
    pytest.param(_raised(inner=_duckdb_error("SELEC 1")), False, id="duckdb parser error"),
    pytest.param(_raised(inner=_duckdb_error("SELECT CAST('x' AS INTEGER)")), False, id="duckdb conversion"),
    pytest.param(_raised(inner=_duckdb_error("SELECT * FROM read_csv('/nonexistent/x.csv')")), True,
                 id="duckdb io error"),
    pytest.param(ValidationFailed("validation failed: unique_id: 1 row"), False, id="validation failure"),
    pytest.param(ExecutionError("transformer 'sort', param 'by': unknown column 'x'"), False, id="bad params"),
    pytest.param(_raised(TypeError), False, id="bug in a function"),
    pytest.param(_raised(KeyError), False, id="missing key in a function"),
    pytest.param(_raised(ConnectionResetError), True, id="connection reset"),
    pytest.param(_raised(TimeoutError), True, id="timeout"),
    pytest.param(_raised(inner=OSError(5, "Input/output error")), True, id="wrapped OSError"),
    pytest.param(_raised(RuntimeError), True, id="unknown: left to the host"),
    pytest.param(ExecutionError("remote busy", retryable=True), True, id="explicit retryable"),
    pytest.param(_raised(inner=ExecutionError("no", retryable=False)), False, id="explicit verdict inside"),
])
def test_classification(error, retryable):
    assert is_retryable(error) is retryable


PROJECT = """
project: retries
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {enabled: false}
system: {connection: out, path: _system}
retry: {max_attempts: 3, backoff: constant, delay_seconds: 0}
pipelines:
  - pipeline: p
    nodes:
      - name: flaky
        on_error: fail_later
        read: {connection: raw, format: csv, path: rows.csv}
        transform: {steps: [{function: drops_connection_once}]}
        write: {connection: out, format: csv, path: flaky.csv}
      - name: buggy
        on_error: fail_later
        read: {connection: raw, format: csv, path: rows.csv}
        transform: {steps: [{function: buggy}]}
      - name: typo
        on_error: fail_later
        read: {connection: raw, format: csv, path: rows.csv}
        transform: {steps: ["SELECT no_such_column FROM df"]}
"""
TRANSFORMS = """
from pathlib import Path
from odibi_provider import transform

CALLS = Path(__file__).parent / "calls.txt"


@transform
def drops_connection_once(df):
    calls = CALLS.read_text() if CALLS.exists() else ""
    CALLS.write_text(calls + "x")
    if not calls:
        raise ConnectionResetError("the source dropped the connection")
    return df


@transform
def buggy(df):
    return df["no such column"]
"""


def test_local_retries_retry_only_what_may_pass(make_project):
    project = make_project(PROJECT, files={"transforms.py": TRANSFORMS, "data/rows.csv": "id\n1\n2\n"})
    run = run_project(project, workers=1)
    flaky, buggy, typo = run["p.flaky"], run["p.buggy"], run["p.typo"]
    assert (flaky.status, flaky.attempts, flaky.retryable) == ("success", 2, None)
    assert (buggy.status, buggy.attempts, buggy.retryable) == ("failed", 1, False)
    assert (typo.status, typo.attempts, typo.retryable) == ("failed", 1, False)
    assert "no_such_column" in typo.error and "KeyError" in buggy.error
