"""What a user sees on a terminal during ``odibi-provider run``: the screen after the run, replayed through a
small terminal model, keeps every warning printed between redraws, has no stale progress line, and shows
errors in full (in the node line and the summary)."""

from __future__ import annotations

import io
import logging
import re
import sys

import pytest

from odibi_provider.cli.run_display import Progress, print_summary
from odibi_provider.cli.style import Style
from odibi_provider.runner.results import NodeResult, RunResult

LONG_ERROR = ("Binder Error: Referenced column \"order_totl\" not found in FROM clause! Candidate bindings: "
              "\"order_total\", \"order_id\" (node silver.orders, file odibi.yaml line 42)\n"
              "LINE 1: SELECT order_totl FROM df")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def screen(raw: str) -> list[str]:
    """The lines a VT100-style terminal shows after ``raw``: text, newlines, ``ESC[nF`` (cursor to the start
    of the line n up) and ``ESC[J`` (erase to the end of the screen); colours are dropped."""
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[(\d*)([A-Za-z])|(\n)|([^\x1b\n]+)", raw):
        count, command, newline, text = token
        if newline:
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif text:
            line = lines[row]
            lines[row] = line[:col].ljust(col) + text + line[col + len(text):]
            col += len(text)
        elif command == "F":
            row, col = max(0, row - int(count or 1)), 0
        elif command == "J":
            lines[row] = lines[row][:col]
            del lines[row + 1:]
    return [line for line in lines if line.strip()]


def _result(node: str, status: str, error: str | None = None) -> NodeResult:
    return NodeResult(node_id=node, status=status, duration_s=0.5, rows_out=None if error else 10, error=error)


def test_live_display_keeps_warnings_and_leaves_no_stale_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    term = Terminal()
    monkeypatch.setattr(sys, "stdout", term)
    monkeypatch.setattr(sys, "stderr", term)
    configured = logging.getLogger("odibi_provider.test_display")
    handler = logging.StreamHandler(term)
    configured.addHandler(handler)
    unconfigured = logging.getLogger("odibi_provider.test_display_bare")
    unconfigured.propagate = False  # no handler at all: Python's last-resort handler writes to sys.stderr
    try:
        with Progress(3, Style(term, enabled=False), stream=term) as progress:
            progress("silver.a", "start", None)
            progress("silver.b", "start", None)
            configured.warning("warning one: 2 rows failed not_null(id)")
            progress("silver.a", "done", _result("silver.a", "success"))
            print("warning two: from a user's function", file=sys.stderr)
            unconfigured.warning("warning three: schema drift")
            progress("silver.c", "start", None)
            progress("silver.b", "done", _result("silver.b", "failed", LONG_ERROR))
            progress("silver.c", "done", _result("silver.c", "success"))
    finally:
        configured.removeHandler(handler)
        unconfigured.propagate = True

    shown = screen(term.getvalue())
    text = "\n".join(shown)
    for warning in ("warning one", "warning two", "warning three"):
        assert warning in text, text
    assert not [line for line in shown if "…" in line or "done ·" in line], text  # no stale progress
    assert [line.split()[1] for line in shown if line[:1] in "✓✗"] == ["silver.a", "silver.b", "silver.c"]
    assert LONG_ERROR.splitlines()[0] in text and "LINE 1: SELECT order_totl FROM df" in text
    assert sys.stdout is term and handler.stream is term  # streams given back


def test_summary_shows_each_error_in_full() -> None:
    out = io.StringIO()
    run = RunResult(run_id="r1", project="p", duration_s=1.0,
                    results=(_result("silver.a", "success"), _result("silver.b", "failed", LONG_ERROR)))
    print_summary(run, Style(out, enabled=False), stream=out)
    summary = out.getvalue()
    assert f"silver.b: {LONG_ERROR}" in summary
    assert "FAILED" in summary


def test_streams_are_given_back_even_when_a_handler_cannot_be_redirected(monkeypatch: pytest.MonkeyPatch) -> None:
    """Logging's last-resort handler (its stream is a read-only property) configured on a logger must neither
    break the display nor leave sys.stdout swapped."""
    term = Terminal()
    monkeypatch.setattr(sys, "stdout", term)
    monkeypatch.setattr(sys, "stderr", term)
    logger = logging.getLogger("odibi_provider.test_display_last_resort")
    handler = logging.lastResort or logging.StreamHandler(term)
    logger.addHandler(handler)
    try:
        with Progress(1, Style(term, enabled=False), stream=term) as progress:
            progress("p.a", "start", None)
            logger.warning("a warning through the last-resort handler")
            progress("p.a", "done", _result("p.a", "success"))
    finally:
        logger.removeHandler(handler)
    assert sys.stdout is term and sys.stderr is term
    assert "a warning through the last-resort handler" in "\n".join(screen(term.getvalue()))
