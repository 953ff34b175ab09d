"""The story shows what users wrote about their columns (Odibi's node ``columns:``) and why a write was skipped."""

from __future__ import annotations

from pathlib import Path

from odibi_provider.runner import run_project

PROJECT = """
project: documented
connections:
  raw: {type: local, base_path: data}
  out: {type: local, base_path: out}
story: {connection: out, path: stories}
system: {connection: out, path: _system}
pipelines:
  - pipeline: p
    nodes:
      - name: customers
        read: {connection: raw, format: csv, path: customers.csv}
        columns:
          id: {description: The customer's key, tags: [key]}
          contact: {description: Where we reach them, pii: true}
        write: {connection: out, format: parquet, path: customers, mode: append, skip_if_unchanged: true}
"""


def test_column_docs_and_an_unchanged_write_are_in_the_story(make_project) -> None:
    project = make_project(PROJECT, {"data/customers.csv": "id,contact\n1,ann@example.org\n"})
    run_project(project)
    second = run_project(project)
    page = Path(second.story_html or "").read_text(encoding="utf-8")
    assert "The customer&#x27;s key [key]" in page and "Where we reach them [PII]" in page
    assert "skipped: the content is unchanged since the last write" in page
    assert "ann@example.org" not in page  # pii: true is masked in the sample
