"""``odibi-provider validate`` checks the params of ``function:`` steps with the rules the node-level
``transformer:`` uses (the library's params tables), each problem at the step's own param: file, line and
YAML path. Steps after a pattern ``transformer:`` are located at their own index; a project function's
params bind to its signature."""

from __future__ import annotations

from pathlib import Path

import pytest

from odibi_provider.cli import main

PROJECT = """\
project: steps
connections:
  raw: {type: local, base_path: raw}
pipelines:
  - pipeline: silver
    nodes:
      - name: customers
        read: {connection: raw, format: csv, path: customers.csv}
        transform:
          steps:
            - sql: SELECT * FROM df
            - function: clean_text
              params:
                columns: [name]
                operations: [trim, loud]
            - function: limit
              params:
                n: -3
            - function: scale
              params:
                factr: 2
        write: {connection: raw, format: parquet, path: customers.parquet}
      - name: dim_customer
        depends_on: [customers]
        transformer: dimension
        params: {natural_key: id, surrogate_key: customer_sk, scd_type: 0}
        transform:
          steps:
            - function: deduplicate
              params:
                keys: [id]
                order_by: 7
        write: {connection: raw, format: parquet, path: dim_customer.parquet}
"""
TRANSFORMS = """\
from odibi_provider import transform


@transform
def scale(context, current, factor: int = 1):
    return current
"""


def test_validate_locates_bad_step_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "odibi.yaml").write_text(PROJECT)
    (tmp_path / "transforms.py").write_text(TRANSFORMS)
    lines = PROJECT.splitlines()

    def at(text: str, after: str) -> str:
        start = next(i for i, line in enumerate(lines) if after in line)
        return f"{tmp_path / 'odibi.yaml'}:{next(i for i in range(start, len(lines)) if text in lines[i]) + 1}"

    assert main(["validate", str(tmp_path), "--no-color"]) == 1
    err = capsys.readouterr().err
    expected = [
        (at("operations:", "clean_text"), "pipelines[0].nodes[0].transform.steps[1].params.operations",
         "transformer 'clean_text', param 'operations': expected a non-empty list of operations"),
        (at("n: -3", "function: limit"), "pipelines[0].nodes[0].transform.steps[2].params.n",
         "transformer 'limit', param 'n': expected a whole number >= 0, got -3"),
        (at("factr:", "function: scale"), "pipelines[0].nodes[0].transform.steps[3].params.factr",
         "function 'scale' has no parameter 'factr'"),
        (at("order_by:", "function: deduplicate"), "pipelines[0].nodes[1].transform.steps[0].params.order_by",
         "transformer 'deduplicate', param 'order_by'"),
    ]
    for where, path, message in expected:
        assert f"error: {where}  {path}\n  {message}" in err, err
    assert "4 error(s)" in err
