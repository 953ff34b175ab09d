"""The HTML run story: one self-contained, escaped, masked page for a run with mixed outcomes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from odibi_provider.story import NodeStory, StoryWriter, mask_sample, render_page, render_run_html

SECRET_EMAIL = "ann.secret@example.org"
VOID = {"meta", "br", "hr", "img", "input", "link"}


def node(node_id: str, status: str, start: float, **values: object) -> NodeStory:
    pipeline = node_id.split(".")[0]
    return NodeStory(run_id="2024-05-01T06-00", project="retail <demo>", node_id=node_id, pipeline=pipeline,
                     layer=pipeline.split("_")[0], engine="pandas", status=status, started_at=start,
                     finished_at=start + 1.5, **values)


def failing() -> Exception:
    try:
        raise ValueError("column <amount> & 'price' missing")
    except ValueError as exc:
        return exc


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    rows = [{"id": 1, "email": SECRET_EMAIL, "amount": 9.5}, {"id": 2, "email": None, "amount": None}]
    writer = StoryWriter(tmp_path / "stories", "2024-05-01T06-00", project="retail <demo>",
                         started_at=1_714_543_200.0)
    writer.write_node(node(
        "bronze_sales.load_raw", "success", 1_714_543_200.0, rows_in={"read": 2}, rows_out=2, rows_written=2,
        schema_in=[("id", "BIGINT"), ("email", "VARCHAR"), ("amount", "VARCHAR"), ("legacy", "INT")],
        schema_out=[("id", "BIGINT"), ("email", "VARCHAR"), ("amount", "DOUBLE"), ("loaded_at", "TIMESTAMP")],
        sample=mask_sample(rows, ["email"]), sql=["SELECT * FROM df WHERE amount < 10 AND note <> '<script>'"],
        validation=[{"name": "ids_unique", "type": "unique", "on_fail": "fail", "passed": True},
                    {"name": "amount_range", "type": "range", "on_fail": "warn", "passed": False, "failed_rows": 1,
                     "message": "1 row outside [0, 100]"}],
        write={"location": "data/bronze/sales.parquet", "mode": "overwrite", "skipped": False}))
    writer.write_node(node("silver_sales.clean", "failed", 1_714_543_210.0, attempts=3, rows_in={"df": 2},
                           error=failing()))
    writer.write_node(node("gold_kpis.daily", "skipped", 1_714_543_220.0))
    writer.finish(finished_at=1_714_543_230.0)
    return writer.story_dir


@pytest.fixture
def page(run_dir: Path) -> str:
    path = render_run_html(run_dir)
    assert path == run_dir / "index.html"
    return path.read_text(encoding="utf-8")


class TagChecker(HTMLParser):
    """Records the open/close tag stack; a mismatch is a structural error."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.h2: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in VOID:
            self.stack.append(tag)
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)
        self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.h2.append(data)


def test_page_is_well_formed_with_the_expected_outline(page: str) -> None:
    checker = TagChecker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []
    assert page.startswith("<!DOCTYPE html>") and page.count("<style>") == 1 and page.count("<script>") == 1
    assert checker.h2 == ["Graph", "Timeline", "Nodes", "Details"]
    assert page.count("<details") == 3
    overview = page[page.index("<h2>Nodes</h2>"):page.index("<h2>Details</h2>")]
    assert overview.count("<tr>") == 4  # header + one row per node


def test_page_is_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<link|<img|\bsrc=|@import|url\(", page)


def test_header_and_overview(page: str) -> None:
    assert "retail &lt;demo&gt;" in page and "2024-05-01T06-00" in page
    assert '<span class="badge failed">failed</span>' in page
    assert "1 completed" in page and "1 failed" in page and "1 skipped" in page
    assert "2024-05-01 06:00:00 UTC" in page and "30.00 s" in page  # started, run duration
    order = [page.index(f'href="#node-{a}"') for a in ("bronze_sales_load_raw", "silver_sales_clean",
                                                         "gold_kpis_daily")]
    assert order == sorted(order)  # the record order


def section(page: str, anchor: str) -> str:
    start = page.index(f'<details id="{anchor}"')
    return page[start:page.index("</details>", start)]


def test_success_node_section(page: str) -> None:
    body = section(page, "node-bronze_sales_load_raw")
    assert SECRET_EMAIL not in page and "<td>***</td>" in body and "<td>null</td>" in body
    assert "added: loaded_at" in body and "removed: legacy" in body and "amount (VARCHAR → DOUBLE)" in body
    assert '<tr class="added"><td>loaded_at</td>' in body and '<tr class="removed"><td>legacy</td>' in body
    assert '<tr class="changed"><td>amount</td>' in body
    assert "<pre>SELECT * FROM df WHERE amount &lt; 10 AND note &lt;&gt; &#x27;&lt;script&gt;&#x27;</pre>" in body
    assert '<tr class="failrow"><td>amount_range</td>' in body and "1 row outside [0, 100]" in body
    assert "data/bronze/sales.parquet" in body and "<b>overwrite</b>" in body


def test_failed_node_section_is_open_with_the_escaped_traceback(page: str) -> None:
    body = section(page, "node-silver_sales_clean")
    assert body.startswith('<details id="node-silver_sales_clean" open>')
    assert "ValueError: column &lt;amount&gt; &amp; &#x27;price&#x27; missing" in body
    assert "Traceback (most recent call last)" in body and "in failing" in body
    assert "<amount>" not in page


def test_skipped_node_section_is_closed_and_minimal(page: str) -> None:
    body = section(page, "node-gold_kpis_daily")
    assert body.startswith('<details id="node-gold_kpis_daily">')
    assert "no schema recorded" in body and "<h3>Error</h3>" not in body and "<h3>SQL" not in body


def test_render_page_is_pure_and_rerendering_replaces_the_file(run_dir: Path) -> None:
    from odibi_provider.story import load_run

    run, nodes = load_run(run_dir)
    html = render_page(run, nodes)
    assert html.count("<details") == 3
    first = render_run_html(run_dir)
    assert render_run_html(run_dir) == first and not list(run_dir.glob(".*.tmp"))
