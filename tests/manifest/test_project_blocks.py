"""Odibi's project blocks: ``version``, ``logging``, ``performance``, story/system housekeeping keys, and
``semantic`` (refused). Each key is honoured with its meaning or refused where it is written, with the reason."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from odibi_provider.cli.main import main
from odibi_provider.errors import ProjectError
from odibi_provider.plan import load_plan
from odibi_provider.runner import run_project

BASE = """
project: blocks
BLOCKS
connections: {lake: {type: local, base_path: lake}}
story: {connection: lake, path: stories STORY}
system: {connection: lake, path: _system SYSTEM}
pipelines:
  - pipeline: p
    nodes:
      - name: settings
        transform: {steps: ["SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS mem"]}
        write: {connection: lake, format: csv, path: settings.csv}
      - name: other
        transform: {steps: ["SELECT 1 AS id"]}
        write: {connection: lake, format: csv, path: other.csv}
"""


def _project(make_project, blocks: str = "", story: str = "", system: str = "") -> Path:
    text = BASE.replace("BLOCKS", blocks).replace(" STORY", f", {story}" if story else "")
    project = make_project(text.replace(" SYSTEM", f", {system}" if system else ""))
    (project.parent / "lake").mkdir()
    return project


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def restore_logging() -> Iterator[None]:
    logger = logging.getLogger("odibi_provider")
    level, handlers, propagate = logger.level, list(logger.handlers), logger.propagate
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers
    logger.propagate = propagate


def test_version_and_environment_are_in_the_story(make_project):
    project = _project(make_project, blocks='version: "2.4.1-rc"', system="environment: qat")
    result = run_project(project)
    story = project.parent / "lake" / "stories" / result.run_id
    summary = json.loads((story / "run.json").read_text())
    assert (summary["version"], summary["environment"]) == ("2.4.1-rc", "qat")
    page = (story / "index.html").read_text()
    assert "<b>Version:</b> 2.4.1-rc" in page and "<b>Environment:</b> qat" in page


def test_structured_logging_writes_odibi_json_lines(make_project, capsys, restore_logging):
    project = _project(make_project, blocks="logging: {level: DEBUG, structured: true, metadata: {team: sales}}")
    assert run_project(project).ok
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert lines, "structured logging writes JSON lines to standard output"
    assert all({"timestamp", "level", "message", "logger"} <= set(line) and line["team"] == "sales" for line in lines)
    assert any(line["message"].startswith("odibi node p.settings: success") for line in lines)


def test_logging_level_filters_records(make_project, caplog, restore_logging):
    project = _project(make_project, blocks="logging: {level: ERROR}")
    with caplog.at_level(logging.DEBUG):
        assert run_project(project).ok
    assert logging.getLogger("odibi_provider").level == logging.ERROR
    assert not [r for r in caplog.records if r.name.startswith("odibi_provider") and r.levelno < logging.ERROR]


def test_performance_sets_duckdb_and_workers(make_project, capsys):
    project = _project(make_project, blocks="performance: {duckdb_threads: 2, duckdb_memory_limit: 512MB, "
                                            "max_workers: 1, use_arrow: true, skip_catalog_writes: true}")
    assert main(["run", str(project.parent), "--no-color"]) == 0
    assert ": 2 nodes, 1 workers" in capsys.readouterr().out
    assert _rows(project.parent / "lake" / "settings.csv") == [{"threads": "2", "mem": "488.2 MiB"}]
    result = run_project(project)
    first, second = sorted(result.results, key=lambda r: r.started_at)
    assert second.started_at >= first.finished_at, "max_workers: 1 runs one node at a time"


def test_spark_config_joins_the_spark_session_conf(make_project):
    project = _project(make_project, blocks="performance: {spark_config: {spark.sql.shuffle.partitions: '8', "
                                            "spark.sql.ansi.enabled: 'true'}}\n"
                                            "spark: {conf: {spark.sql.ansi.enabled: 'false'}}")
    conf = load_plan(project, use_cache=False).spark["conf"]
    assert dict(conf) == {"spark.sql.shuffle.partitions": "8", "spark.sql.ansi.enabled": "false"}


def test_auto_generate_false_keeps_the_records_and_writes_no_html(make_project):
    project = _project(make_project, story="auto_generate: false, docs: {enabled: false}")
    result = run_project(project)
    story = project.parent / "lake" / "stories" / result.run_id
    assert (story / "run.json").is_file() and len(list((story / "nodes").glob("*.json"))) == 2
    assert not (story / "index.html").exists() and result.story_html is None


@pytest.mark.parametrize(("where", "text", "path", "says"), [
    pytest.param("blocks", "semantic: {config: semantic.yaml}", "semantic", "semantic layer", id="semantic"),
    pytest.param("blocks", "performance: {use_arrow: false}", "performance.use_arrow", "always holds data as Arrow",
                 id="use_arrow false"),
    pytest.param("blocks", "performance: {delta_table_properties: {delta.appendOnly: 'true'}}",
                 "performance.delta_table_properties", "TBLPROPERTIES", id="delta_table_properties"),
    pytest.param("blocks", "performance: {skip_run_logging: false}", "performance.skip_run_logging",
                 "no system catalog", id="skip_run_logging false"),
    pytest.param("blocks", "performance: {use_duckdb: true}", "performance.use_duckdb", "unknown key",
                 id="a key Odibi does not define"),
    pytest.param("blocks", "logging: {level: TRACE}", "logging.level", "DEBUG", id="bad level"),
    pytest.param("story", "failure_sample_size: 100", "story.failure_sample_size", "failing-row count",
                 id="failure_sample_size"),
    pytest.param("story", "generate_lineage: true", "story.generate_lineage", "set it to false",
                 id="generate_lineage true"),
    pytest.param("story", "docs: {enabled: true}", "story.docs", "documentation generation", id="docs enabled"),
    pytest.param("story", "retention_days: null, retention_count: null", "story", "no retention policy",
                 id="no retention at all"),
    pytest.param("system", "sync_to: {connection: sql}", "system.sync_to", "no system catalog to sync",
                 id="sync_to"),
    pytest.param("system", "retention_days: {failures: 90}", "system.retention_days", "story.retention_days",
                 id="system retention"),
])
def test_keys_that_cannot_apply_are_refused_where_written(make_project, where, text, path, says):
    project = _project(make_project, **{where: text})
    with pytest.raises(ProjectError) as caught:
        load_plan(project, use_cache=False)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert says in problem.message + (problem.hint or "")
    assert problem.line == (3 if where == "blocks" else 5 if where == "story" else 6)
