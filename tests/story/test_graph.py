"""The run graph and timeline of the HTML story: columns from the recorded level (or, for records written
before levels were recorded, from the edges), per-input schema diffs, and large runs summarised per pipeline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from odibi_provider.story import NodeStory, RunStory, render_page, render_run_html
from odibi_provider.story.graph import MAX_GRAPH_NODES, levels


def story(node_id: str, status: str = "success", start: float = 0.0, **values: Any) -> NodeStory:
    return NodeStory(run_id="r1", project="demo", node_id=node_id, pipeline=node_id.split(".")[0], layer="silver",
                     engine="pandas", status=status, started_at=start, finished_at=start + 1.0, **values)


def test_a_record_written_before_edges_were_recorded_still_renders(tmp_path: Path) -> None:
    old = {k: v for k, v in story("p.a").to_dict().items()
           if k not in ("upstream", "level", "max_attempts", "failed_step")}
    (tmp_path / "r1" / "nodes").mkdir(parents=True)
    (tmp_path / "r1" / "nodes" / "p.a.json").write_text(json.dumps(old), encoding="utf-8")
    page = render_run_html(tmp_path / "r1").read_text(encoding="utf-8")
    assert re.findall(r'class="gnode" data-node="([^"]+)"', page) == ["p.a"]
    assert "Attempts:</b> 1<" in page


def test_columns_come_from_the_edges_when_no_level_was_recorded() -> None:
    nodes = [story("p.c", upstream=("p.b",)), story("p.b", upstream=("p.a",)), story("p.a"),
             story("q.x", upstream=("p.a", "gone.node"))]  # an upstream outside the run is ignored
    assert levels(nodes) == {"p.a": 0, "p.b": 1, "p.c": 2, "q.x": 1}


def test_parallel_nodes_overlap_on_the_timeline() -> None:
    nodes = [story("p.a", start=0.0), story("p.b", start=0.0), story("p.c", start=1.0, upstream=("p.a", "p.b"))]
    bars = re.findall(r'data-node="([^"]+)" style="left:([\d.]+)%;width:([\d.]+)%"', render_page(_run(nodes), nodes))
    assert [(n, float(left), float(width)) for n, left, width in bars] == [
        ("p.a", 0.0, 50.0), ("p.b", 0.0, 50.0), ("p.c", 50.0, 50.0)]


def test_a_multi_input_node_is_diffed_against_each_input() -> None:
    node = story("p.joined", rows_in={"o": 4, "c": 2}, schema_out=[("id", "BIGINT"), ("name", "VARCHAR")],
                 input_schemas={"o": [("id", "BIGINT"), ("amount", "DOUBLE")], "c": [("name", "VARCHAR")]})
    page = render_page(_run([node]), [node])
    inputs = page[page.index("<h3>Inputs</h3>"):]
    assert re.search(r"<td>o</td><td>4</td><td>2</td><td><p>added: name<br>removed: amount</p>", inputs)
    assert re.search(r"<td>c</td><td>2</td><td>1</td><td><p>added: id</p>", inputs)


def test_a_large_run_is_drawn_one_box_per_pipeline() -> None:
    nodes = [story(f"p{i % 3}.n{i}", upstream=(f"p{(i - 1) % 3}.n{i - 1}",) if i else ())
             for i in range(MAX_GRAPH_NODES + 1)]
    page = render_page(_run(nodes), nodes)
    assert "gnode" not in page
    assert sorted(re.findall(r'class="gpipeline" data-pipeline="([^"]+)"', page)) == ["p0", "p1", "p2"]
    assert f"{MAX_GRAPH_NODES + 1} nodes: too many to draw one by one" in page


def _run(nodes: list[NodeStory]) -> RunStory:
    return RunStory.from_nodes(nodes, run_id="r1", project="demo")
