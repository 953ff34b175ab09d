"""``validate`` checks a read's options (and Odibi's ``archive_options``, merged into them) for the format and the
node's engine, at the line of the offending key; misplaced blocks name where they belong; ``streaming`` is
refused saying what to use instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import ProjectError
from odibi_provider.plan.cache import compile_project

PROJECT = """\
project: opts
connections:
  raw: {type: local, base_path: raw}
pipelines:
  - pipeline: p
    nodes:
      - name: events
ENGINE
        read:
          connection: raw
          format: FORMAT
          path: events.FORMAT
READ
        write: {connection: raw, format: parquet, path: out.parquet}
"""


def _problems(tmp_path: Path, read: str, fmt: str = "csv", engine: str = "") -> tuple[Any, ...]:
    (tmp_path / "raw").mkdir(exist_ok=True)
    text = PROJECT.replace("FORMAT", fmt).replace("ENGINE\n", f"        engine: {engine}\n" if engine else "")
    (tmp_path / "odibi.yaml").write_text(text.replace("READ", "\n".join(f"          {x}" for x in read.splitlines())))
    with pytest.raises(ProjectError) as info:
        compile_project(tmp_path / "odibi.yaml")
    return tuple(p for p in info.value.problems if p.severity == "error")


def _line(tmp_path: Path, text: str) -> int:
    lines = (tmp_path / "odibi.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize("fmt, read, key, message", [
    pytest.param("csv", "options:\n  header: true\n  delimitr: ';'", "options.delimitr", "did you mean 'delimiter'",
                 id="csv typo"),
    pytest.param("json", "options:\n  lines: true\n  header: true", "options.header", "accepted json read options",
                 id="json has no header"),
    pytest.param("parquet", "options:\n  union_by_name: true\n  skip: 1", "options.skip",
                 "unknown parquet read option", id="parquet"),
    pytest.param("csv", "options:\n  header: true\n  incremental: {column: ts}", "options.incremental",
                 "move it up one level (read.incremental)", id="incremental under options"),
    pytest.param("csv", "options:\n  lookback: 3", "options.lookback", "read.incremental.lookback",
                 id="incremental key under options"),
    pytest.param("csv", "archive_options:\n  badRecordsPath: /tmp/bad", "archive_options.badRecordsPath",
                 "validation.quarantine", id="archive_options are read options"),
])
def test_bad_option_is_reported_at_its_key(tmp_path: Path, fmt: str, read: str, key: str, message: str) -> None:
    (problem,) = _problems(tmp_path, read, fmt)
    assert message in problem.message
    assert problem.path == f"pipelines[0].nodes[0].read.{key}"
    assert problem.file and problem.file.endswith("odibi.yaml")
    assert problem.line == _line(tmp_path, key.rsplit(".", 1)[-1] + ":")


def test_an_option_the_spark_engine_declines(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "options:\n  header: true\n  skip: 2", engine="spark")
    assert "cannot skip leading lines" in problem.message and problem.path.endswith("read.options.skip")
    assert problem.line == _line(tmp_path, "skip:")


@pytest.mark.parametrize("read, message", [
    pytest.param("mode: append", "'mode' is not a read key: the write mode goes under write.mode", id="mode"),
    pytest.param("column: ts", "'column' is not a read key: it belongs under read.incremental", id="column"),
])
def test_misplaced_read_key_names_its_block(tmp_path: Path, read: str, message: str) -> None:
    (problem,) = _problems(tmp_path, read)
    assert message in problem.message and problem.path == "pipelines[0].nodes[0].read" and problem.line


@pytest.mark.parametrize("where, text", [
    pytest.param("read.streaming", "streaming: true", id="read"),
    pytest.param("streaming", None, id="node"),
])
def test_streaming_is_refused_with_what_to_use(tmp_path: Path, where: str, text: str | None) -> None:
    if text is None:
        (tmp_path / "raw").mkdir()
        (tmp_path / "odibi.yaml").write_text(PROJECT.replace("FORMAT", "csv").replace("READ\n", "").replace(
            "ENGINE\n", "        streaming: true\n"))
        with pytest.raises(ProjectError) as info:
            compile_project(tmp_path / "odibi.yaml")
        (problem,) = info.value.problems
    else:
        (problem,) = _problems(tmp_path, text)
    assert problem.path == f"pipelines[0].nodes[0].{where}" and problem.line == _line(tmp_path, "streaming:")
    assert "landing sensor" in problem.message and "asset" in problem.message


def test_streaming_false_and_empty_archive_options_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "events.csv").write_text("id\n1\n")
    text = PROJECT.replace("FORMAT", "csv").replace("ENGINE\n", "        streaming: false\n")
    (tmp_path / "odibi.yaml").write_text(text.replace("READ", "          streaming: false\n          archive_options: {}"))
    assert compile_project(tmp_path / "odibi.yaml").node("p.events").read is not None
