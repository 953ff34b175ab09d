"""odibi_de_v2 projects in their own format (manifest.json + TransformationRegistry rows) load, validate and run
like a YAML project: rows from JSON, CSV or a SQL table, environments, disabled rows, engine variants, located
errors, and ``odibi-provider import`` writing the same project as YAML."""

from __future__ import annotations

import json

import pytest

from odibi_provider import load_plan, run_project
from odibi_provider.cli.main import main
from odibi_provider.errors import ProjectError
from tests.importers.seed_projects import GOLD_PROD, GOLD_QAT, MANIFEST, gold, write_csv, write_de_v2

pytest.importorskip("duckdb")


@pytest.mark.parametrize("source", ["json", "csv", "sql"])
def test_sales_project_runs_from_its_registry(tmp_path, monkeypatch, source):
    monkeypatch.chdir(write_de_v2(tmp_path, source))
    result = run_project(tmp_path)  # the folder: manifest.json is the project
    assert result.ok, [r.error for r in result.results]
    assert sorted(r.node_id for r in result.results) == [
        "bronze.ingest_sales_qat", "gold.sales_by_region_qat", "silver.clean_sales_qat"]
    assert gold(tmp_path) == GOLD_QAT


def test_environment_rows_replace_the_default_env(tmp_path, monkeypatch):
    monkeypatch.chdir(write_de_v2(tmp_path))
    assert run_project(tmp_path / "manifest.json", env="prod").ok
    assert gold(tmp_path, "prod") == GOLD_PROD
    assert not (tmp_path / "out" / "qat").exists()


def test_layers_steps_and_disabled_rows_shape_the_plan(tmp_path):
    plan = load_plan(write_de_v2(tmp_path), use_cache=False)
    assert [p.name for p in plan.pipelines] == ["bronze", "silver", "gold"]
    assert {n.id: n.layer for n in plan.nodes} == {"bronze.ingest_sales_qat": "bronze",
                                                  "silver.clean_sales_qat": "silver",
                                                  "gold.sales_by_region_qat": "gold"}
    assert plan.node("gold.sales_by_region_qat").upstream == ("silver.clean_sales_qat",)
    assert plan.node("silver.clean_sales_qat").upstream == ("bronze.ingest_sales_qat",)
    assert plan.node("gold.sales_by_region_qat").tags == ("sales", "analytics")
    assert plan.node("gold.sales_by_region_qat").owner == "sales-data"
    assert "silver.legacy_cleanup_qat" not in {n.id for n in plan.nodes}  # enabled: false


def test_validate_detects_the_folder(tmp_path, capsys):
    assert main(["validate", str(write_de_v2(tmp_path, "csv")), "--no-color"]) == 0
    assert "sales_analytics: 3 nodes in 3 pipelines" in capsys.readouterr().out


def test_a_bad_csv_row_is_located(tmp_path, capsys):
    write_de_v2(tmp_path, "csv")
    path = tmp_path / "TransformationRegistry.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace('"{""min_amount"": 100}"', '"{min_amount: 100}"').replace(",1,", ",first,", 1)
    path.write_text("\n".join(lines) + "\n")
    assert main(["validate", str(tmp_path), "--no-color"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3  constants" in err and "'constants' is not valid JSON" in err
    assert f"{path}:3  step" in err and "'step' must be a whole number, got 'first'" in err


def test_unknown_function_and_manifest_key_are_located(tmp_path):
    write_de_v2(tmp_path, manifest={"project_name": "Sales Analytics", "layer_order": ["Bronze", "Silver", "Gold"],
                                    "transformation_modules": ["sales_functions"], "default_env": "qat",
                                    "environments": ["qat", "prod"], "ownr": "x"})
    with pytest.raises(ProjectError) as info:
        load_plan(tmp_path, use_cache=False)
    [problem] = info.value.problems
    line = next(n for n, text in enumerate((tmp_path / "manifest.json").read_text().splitlines(), 1)
                if '"ownr"' in text)
    assert (problem.file, problem.line, problem.message) == (str(tmp_path / "manifest.json"), line,
                                                              "unknown manifest key 'ownr'")
    assert problem.hint == "did you mean 'owner'?"
    rows = json.loads((tmp_path / "TransformationRegistry.json").read_text())
    rows[1]["function"] = "clean_sale"
    (tmp_path / "TransformationRegistry.json").write_text(json.dumps(rows, indent=1))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["ownr"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ProjectError) as info:
        load_plan(tmp_path, use_cache=False)
    [problem] = [p for p in info.value.problems if p.severity == "error"]
    text = (tmp_path / "TransformationRegistry.json").read_text().splitlines()
    assert problem.file == str(tmp_path / "TransformationRegistry.json")
    assert '"transformation_id": "clean_sales_qat"' in text[problem.line]  # the row's object starts there
    assert "unknown transform 'clean_sale'; did you mean 'clean_sales'" in problem.message


def test_per_layer_settings_without_an_equivalent_are_warned(tmp_path, capsys):
    manifest = json.loads(json.dumps(MANIFEST))
    manifest["layers"]["Silver"]["max_workers"] = 4
    write_de_v2(tmp_path, manifest=manifest)
    assert main(["validate", str(tmp_path), "--no-color"]) == 0
    assert "layers.Silver.max_workers" in capsys.readouterr().out


def test_import_writes_yaml_that_gives_the_same_plan(tmp_path, capsys):
    write_de_v2(tmp_path)
    before = load_plan(tmp_path, use_cache=False)
    assert main(["import", str(tmp_path), "--to", str(tmp_path / "odibi.yaml"), "--no-color"]) == 0
    text = (tmp_path / "odibi.yaml").read_text()
    assert "# from TransformationRegistry.json:" in text
    after = load_plan(tmp_path / "odibi.yaml", use_cache=False)
    assert [(n.id, n.upstream, n.steps, n.engine, n.tags) for n in after.nodes] == \
        [(n.id, n.upstream, n.steps, n.engine, n.tags) for n in before.nodes]
    prod_before = load_plan(tmp_path / "manifest.json", env="prod", use_cache=False)
    prod_after = load_plan(tmp_path / "odibi.yaml", env="prod", use_cache=False)
    assert [n.steps for n in prod_after.nodes] == [n.steps for n in prod_before.nodes]
    assert main(["import", str(tmp_path / "manifest.json"), "--to", str(tmp_path / "odibi.yaml")]) == 1
    assert "pass --force" in capsys.readouterr().err


def test_rows_of_a_sql_table_are_read_on_every_load(tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.chdir(write_de_v2(tmp_path, "sql"))
    assert len(load_plan(tmp_path).nodes) == 3
    with sqlite3.connect(tmp_path / "registry.db") as conn:
        conn.execute("UPDATE TransformationRegistry SET enabled = 0 WHERE transformation_id = 'sales_by_region_qat'")
    conn.close()
    assert len(load_plan(tmp_path).nodes) == 2  # no cached Plan stands for rows in a database


def test_csv_registry_cells_as_the_seed_wrote_them(tmp_path):
    write_de_v2(tmp_path, "csv")
    rows = [{"transformation_id": "x", "project": "Sales Analytics", "environment": "qat", "layer": "Platinum",
             "step": 1, "enabled": True, "module": "sales_functions", "function": "ingest_sales", "inputs": [],
             "constants": {}, "outputs": []}]
    write_csv(tmp_path / "TransformationRegistry.csv", rows)
    with pytest.raises(ProjectError) as info:
        load_plan(tmp_path, use_cache=False)
    [warning] = [p for p in info.value.problems if p.severity == "warning"]
    assert warning.message == "environment 'prod' has no registry rows of this project: it runs nothing"
    [problem] = [p for p in info.value.problems if p.severity == "error"]
    assert (problem.line, problem.path) == (2, "layer")
    assert "layer 'Platinum' is not in the manifest's layer_order" in problem.message


def test_a_layer_default_engine_and_a_row_engine(tmp_path):
    manifest = json.loads(json.dumps(MANIFEST))
    manifest["layers"]["Bronze"]["default_engine"] = "spark"
    manifest["layers"]["Gold"]["default_engine"] = "spark"  # the gold row's constants say pandas
    plan = load_plan(write_de_v2(tmp_path, manifest=manifest), use_cache=False)
    assert {n.id: n.engine for n in plan.nodes} == {"bronze.ingest_sales_qat": "spark",
                                                   "silver.clean_sales_qat": "pandas",
                                                   "gold.sales_by_region_qat": "pandas"}


def test_an_unknown_row_field_and_a_missing_registry_are_refused(tmp_path):
    write_de_v2(tmp_path)
    registry = tmp_path / "TransformationRegistry.json"
    rows = json.loads(registry.read_text())
    rows[0]["constant"] = {}
    registry.write_text(json.dumps(rows, indent=1))
    with pytest.raises(ProjectError) as info:
        load_plan(tmp_path, use_cache=False)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(registry), 2, "constant")
    assert problem.hint == "did you mean 'constants'?"
    registry.unlink()
    with pytest.raises(ProjectError) as info:
        load_plan(tmp_path, use_cache=False)
    assert "no TransformationRegistry rows for manifest.json" in str(info.value)


def test_a_registry_table_that_cannot_be_read_is_located(tmp_path, monkeypatch):
    write_de_v2(tmp_path, "sql")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["registry"] = {"url": "sqlite:///registry.db", "table": "TransformationRegistri"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest, indent=2))
    monkeypatch.chdir(tmp_path.parent)  # the URL's path is relative to the manifest, not the working directory
    with pytest.raises(ProjectError) as info:
        load_plan(tmp_path)
    [problem] = info.value.problems
    assert (problem.path, problem.file) == ("registry", str(tmp_path / "manifest.json"))
    assert "cannot read the registry table: NoSuchTableError" in problem.message
