"""Story records (NodeStory, RunStory), their helpers, and the StoryWriter's files."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.engines import base as engines  # not TestOutcome by name: pytest would collect it
from odibi_provider.story import (
    ErrorRecord,
    NodeStory,
    RunStory,
    SchemaDiff,
    StoryWriter,
    WriteRecord,
    load_run,
    mask_sample,
    schema_diff,
)


def story(node_id: str = "silver.clean", status: str = "success", start: float = 100.0, **values: Any) -> NodeStory:
    base: dict[str, Any] = {"run_id": "r1", "project": "retail", "node_id": node_id, "pipeline": node_id.split(".")[0],
                            "layer": "silver", "engine": "pandas", "status": status, "started_at": start,
                            "finished_at": start + 2.5}
    return NodeStory(**{**base, **values})


@pytest.mark.parametrize(("before", "after", "expected"), [
    pytest.param([("a", "INT")], [("a", "INT")], SchemaDiff(), id="unchanged"),
    pytest.param([("a", "INT")], [("a", "INT"), ("b", "VARCHAR")], SchemaDiff(added=(("b", "VARCHAR"),)),
                 id="added"),
    pytest.param([("a", "INT"), ("b", "DATE")], [("a", "INT")], SchemaDiff(removed=(("b", "DATE"),)), id="removed"),
    pytest.param([("a", "INT")], [("a", "BIGINT")], SchemaDiff(type_changed=(("a", "INT", "BIGINT"),)),
                 id="type changed"),
    pytest.param([], [("a", "INT")], SchemaDiff(added=(("a", "INT"),)), id="from nothing"),
])
def test_schema_diff(before: list, after: list, expected: SchemaDiff) -> None:
    diff = schema_diff(before, after)
    assert diff == expected
    assert bool(diff) is bool(expected.added or expected.removed or expected.type_changed)


ROWS = [{"id": 1, "Email": "ann@example.org", "ssn": None}, {"id": 2, "Email": None, "ssn": "123-45"}]


@pytest.mark.parametrize(("sensitive", "expected"), [
    pytest.param(True, [{"id": "***", "Email": "***", "ssn": None}, {"id": "***", "Email": None, "ssn": "***"}],
                 id="all columns"),
    pytest.param(["email"], [{"id": 1, "Email": "***", "ssn": None}, {"id": 2, "Email": None, "ssn": "123-45"}],
                 id="named column, any case"),
    pytest.param(("ssn", "missing"), [{"id": 1, "Email": "ann@example.org", "ssn": None},
                                      {"id": 2, "Email": None, "ssn": "***"}], id="tuple with an unknown name"),
    pytest.param(False, ROWS, id="marked safe: nothing"),
    pytest.param(None, [{"id": 1, "Email": "***", "ssn": None}, {"id": 2, "Email": None, "ssn": "***"}],
                 id="unset: personal-looking columns"),
])
def test_mask_sample(sensitive: Any, expected: list) -> None:
    original = json.dumps(ROWS)
    assert mask_sample(ROWS, sensitive) == expected
    assert json.dumps(ROWS) == original  # the input is not modified


def test_unset_sensitivity_masks_email_values_in_any_column() -> None:
    rows = [{"contact": "ann@example.org", "note": "call back", "customer_name": "Ann Lee", "amount": 3}]
    assert mask_sample(rows, None) == [{"contact": "***", "note": "call back", "customer_name": "Ann Lee",
                                        "amount": 3}]
    assert mask_sample([{"first_name": "Ann", "zip_code": "12345", "phone_number": "555"}], None) == [
        {"first_name": "***", "zip_code": "***", "phone_number": "***"}]


def full_story() -> NodeStory:
    try:
        raise ValueError("bad <value>")
    except ValueError as exc:
        error = exc
    return story(
        status="failed", attempts=3, rows_in={"df": 10, "stores": 4}, rows_out=8, rows_written=8,
        schema_in=[("id", "INT"), ("old", "DATE")], schema_out=[["id", "BIGINT"], ["new", "VARCHAR"]],
        sample=mask_sample([{"id": 1, "new": "x"}], ["new"]), sql=["SELECT * FROM df"],
        validation=[engines.TestOutcome("ids_unique", "unique", "fail", False, 2, "2 duplicates", "SELECT 1"),
                    {"name": "n", "type": "not_null", "on_fail": "warn", "passed": True}],
        quarantined_rows=1, write=engines.WriteOutcome(8, "data/silver/clean.parquet", "append"), error=error)


def test_node_story_normalises_engine_results() -> None:
    s = full_story()
    assert s.duration_s == 2.5 and s.rows_in == {"df": 10, "stores": 4}
    assert s.write == WriteRecord("data/silver/clean.parquet", "append", False)
    assert s.error is not None and s.error.type == "ValueError" and s.error.message == "bad <value>"
    assert "Traceback (most recent call last)" in s.error.traceback and "full_story" in s.error.traceback
    assert s.validation[0] == {"name": "ids_unique", "type": "unique", "on_fail": "fail", "passed": False,
                               "failed_rows": 2, "message": "2 duplicates", "sql": "SELECT 1"}
    assert s.validation[1]["failed_rows"] == 0 and s.failed_tests == (s.validation[0],)
    assert s.schema_diff == SchemaDiff(added=(("new", "VARCHAR"),), removed=(("old", "DATE"),),
                                       type_changed=(("id", "INT", "BIGINT"),))


def test_node_story_json_round_trip() -> None:
    s = full_story()
    data = json.loads(json.dumps(s.to_dict()))
    assert data["schema_diff"] == {"added": [["new", "VARCHAR"]], "removed": [["old", "DATE"]],
                                   "type_changed": [["id", "INT", "BIGINT"]]}
    assert data["sample"] == [{"id": 1, "new": "***"}] and data["error"]["type"] == "ValueError"
    assert NodeStory.from_dict(data) == s


@pytest.mark.parametrize(("values", "match"), [
    pytest.param({"status": "done"}, "unknown node status 'done'; use one of: success, failed", id="status"),
])
def test_node_story_rejects_bad_values(values: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        story(**values)


def test_error_record_from_mapping_and_exception() -> None:
    assert ErrorRecord.coerce({"type": "E", "message": "m"}) == ErrorRecord("E", "m", "")
    assert ErrorRecord.coerce(KeyError("k")).type == "KeyError"  # never raised: no frames, still a traceback line


def test_run_story_from_nodes_and_round_trip() -> None:
    nodes = [story("b.load", start=10.0), story("s.clean", "warning", start=13.0), story("s.bad", "failed", start=14),
             story("g.kpis", "skipped", start=20.0)]
    run = RunStory.from_nodes(nodes, run_id="r1", project="retail")
    assert (run.status, run.completed, run.failed, run.skipped) == ("failed", 2, 1, 1)
    assert (run.started_at, run.finished_at, run.duration_s) == (10.0, 22.5, 12.5)
    assert [(n.node_id, n.status) for n in run.nodes][:2] == [("b.load", "success"), ("s.clean", "warning")]
    assert RunStory.from_dict(json.loads(json.dumps(run.to_dict()))) == run
    ok = RunStory.from_nodes(nodes[:2], run_id="r2", project="retail", started_at=1.0, finished_at=30.0)
    assert (ok.status, ok.duration_s) == ("success", 29.0)
    with pytest.raises(ValueError, match="unknown run status"):
        RunStory(run_id="r", project="p", started_at=0.0, status="ok")


def test_writer_writes_fragments_and_summary_atomically(tmp_path: Path) -> None:
    writer = StoryWriter(tmp_path / "stories", "run-1", project="retail")
    assert writer.story_dir == tmp_path / "stories" / "run-1"
    written = writer.write_node(story("silver.clean/odd name"))
    path = tmp_path / "stories" / "run-1" / "nodes" / "silver.clean_odd_name.json"
    assert written.story_path == str(path) and path.exists()
    assert json.loads(path.read_text())["node_id"] == "silver.clean/odd name"
    writer.write_node(story("bronze.load", start=50.0))
    run = writer.finish(finished_at=writer.started_at + 1)
    assert json.loads((writer.story_dir / "run.json").read_text())["completed"] == 2
    assert not [p for p in writer.story_dir.rglob("*") if p.name.endswith(".tmp")]
    loaded_run, loaded = load_run(writer.story_dir)
    assert loaded_run == run
    assert [s.node_id for s in loaded] == ["silver.clean/odd name", "bronze.load"]  # the summary's order
    assert loaded[0] == written


def test_writer_is_thread_safe(tmp_path: Path) -> None:
    writer = StoryWriter(tmp_path, "r1")

    def work(t: int) -> None:
        for i in range(20):
            writer.write_node(story(f"p.n{t}_{i}", start=float(t * 100 + i)))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run = writer.finish()
    assert run.completed == 160 and run.project == "retail"
    assert len(list((writer.story_dir / "nodes").glob("*.json"))) == 160


def test_load_run_without_summary_rebuilds_it_in_start_order(tmp_path: Path) -> None:
    writer = StoryWriter(tmp_path, "r7")  # as each host process writes one node and no summary
    for node_id, start in [("gold.kpis", 30.0), ("bronze.load", 10.0), ("silver.clean", 20.0)]:
        writer.write_node(story(node_id, start=start))
    run, nodes = load_run(writer.story_dir)
    assert [n.node_id for n in nodes] == ["bronze.load", "silver.clean", "gold.kpis"]
    assert (run.run_id, run.project, run.completed, run.status) == ("r7", "retail", 3, "success")


def test_load_run_of_an_empty_folder_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no run.json and no nodes/\*.json"):
        load_run(tmp_path)
