"""ODIBI CORE step lists (JSON, CSV, a SQLite table) load and run as one pipeline: example 1 (CSV -> SQL ->
Parquet), example 2 (a Delta medallion with a function step), edges from outputs to inputs, located errors."""

from __future__ import annotations

import json

import pytest

from odibi_provider import load_plan, run_project
from odibi_provider.cli.main import main
from odibi_provider.errors import ProjectError
from tests.importers.seed_projects import EXAMPLE_1, GOLD_DAILY, example_2, gold_daily, write_steps

pytest.importorskip("duckdb")


@pytest.mark.parametrize("kind", ["json", "csv", "db"])
def test_example_1_runs_from_each_source(tmp_path, kind):
    path = write_steps(tmp_path, EXAMPLE_1, kind)
    result = run_project(path)
    assert result.ok, [r.error for r in result.results]
    import pandas as pd

    assert sorted(pd.read_parquet(tmp_path / "output" / "filtered.parquet")["id"]) == [2, 3, 4]


def test_edges_follow_outputs_to_inputs(tmp_path):
    plan = load_plan(write_steps(tmp_path, example_2()), use_cache=False)
    upstream = {n.name: tuple(u.split(".")[1] for u in n.upstream) for n in plan.nodes}
    assert upstream == {"ingest_transactions": (), "save_bronze": ("ingest_transactions",),
                        "clean_transactions": ("ingest_transactions",), "save_silver": ("clean_transactions",),
                        "flag_transactions": ("clean_transactions",), "aggregate_daily": ("flag_transactions",),
                        "publish_gold": ("aggregate_daily",)}
    assert plan.node("steps.flag_transactions").description == "marks large transactions"


def test_example_2_delta_medallion(tmp_path):
    path = write_steps(tmp_path, example_2(), "db")
    assert run_project(path).ok
    assert gold_daily(tmp_path) == GOLD_DAILY
    assert run_project(path).ok  # publish appends, as the step says
    assert gold_daily(tmp_path) == sorted(GOLD_DAILY * 2)


def test_a_step_naming_an_unknown_dataset_key_is_located(tmp_path, capsys):
    steps = json.loads(json.dumps(EXAMPLE_1))
    steps[2]["inputs"] = {"data": "filterd_data"}
    steps[1]["engine"] = "polars"
    path = write_steps(tmp_path, steps, "csv")
    assert main(["validate", str(path), "--no-color"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4  inputs" in err and "no step outputs dataset key 'filterd_data'" in err
    assert "did you mean 'filtered_data'" in err
    assert f"{path}:3  engine" in err and "unknown engine 'polars'" in err


def test_sqlite_rows_are_located_by_row_number(tmp_path):
    steps = json.loads(json.dumps(EXAMPLE_1))
    steps[1]["layer"] = "transfrom"
    path = write_steps(tmp_path, steps, "db")
    with pytest.raises(ProjectError) as info:
        load_plan(path, use_cache=False)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 2, "layer")
    assert problem.hint == "did you mean 'transform'?"


def test_import_writes_the_step_list_as_yaml(tmp_path):
    path = write_steps(tmp_path, example_2())
    before = load_plan(path, use_cache=False)
    assert main(["import", str(path), "--to", str(tmp_path / "odibi.yaml")]) == 0
    text = (tmp_path / "odibi.yaml").read_text()
    assert "# from steps.json:" in text
    after = load_plan(tmp_path / "odibi.yaml", use_cache=False)
    assert [(n.id, n.upstream, n.steps, n.read, n.write) for n in after.nodes] == \
        [(n.id, n.upstream, n.steps, n.read, n.write) for n in before.nodes]


def test_a_connect_step_is_a_connection_ingest_and_publish_use(tmp_path):
    import sqlite3

    db = tmp_path / "source.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE readings (id INTEGER, value INTEGER)")
        conn.executemany("INSERT INTO readings VALUES (?, ?)", [(1, 50), (2, 150), (3, 300)])
    conn.close()
    steps = [
        {"layer": "connect", "name": "plant_db", "type": "config_op", "value": f"sqlite:///{db}"},
        {"layer": "ingest", "name": "read_readings", "type": "config_op", "engine": "pandas",
         "value": "SELECT * FROM readings WHERE value > 100", "params": {"connection": "plant_db",
                                                                        "source_type": "sql"},
         "outputs": {"data": "readings"}},
        {"layer": "publish", "name": "publish_high", "type": "config_op", "engine": "pandas", "value": "high_readings",
         "params": {"connection": "plant_db", "source_type": "sql", "mode": "overwrite"},
         "inputs": {"data": "readings"}},
    ]
    assert run_project(write_steps(tmp_path, steps)).ok
    with sqlite3.connect(db) as conn:
        assert sorted(conn.execute("SELECT id, value FROM high_readings")) == [(2, 150), (3, 300)]
    conn.close()
