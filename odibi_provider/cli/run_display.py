"""The ``run`` command's live progress (a line per running node, counts, elapsed) and summary table."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from ..runner.results import NodeResult, RunResult
from .style import Style

_MARK = {"success": ("✓", "green"), "warning": ("!", "yellow"), "failed": ("✗", "red"), "skipped": ("-", "dim")}


class Progress:
    """Redraws in place on a terminal; prints one line per finished node otherwise."""

    def __init__(self, total: int, style: Style, stream: TextIO = sys.stdout) -> None:
        self.total, self.style, self.stream = total, style, stream
        self.live = stream.isatty()
        self.running: dict[str, float] = {}
        self.counts = {"success": 0, "warning": 0, "failed": 0, "skipped": 0}
        self.started = time.time()
        self._lock = threading.Lock()
        self._drawn = 0

    def __call__(self, node_id: str, state: str, result: NodeResult | None) -> None:
        with self._lock:
            if state == "start":
                self.running[node_id] = time.time()
            else:
                self.running.pop(node_id, None)
                assert result is not None
                self.counts[result.status] = self.counts.get(result.status, 0) + 1
                self._clear()
                self._line(result)
            self._draw()

    def close(self) -> None:
        with self._lock:
            self._clear()

    def _line(self, result: NodeResult) -> None:
        mark, colour = _MARK.get(result.status, ("?", "dim"))
        rows = f"{result.rows_out:>9,} rows" if result.rows_out is not None else " " * 14
        note = result.error or result.skipped_reason or ""
        print(f"{self.style(mark, colour, 'bold')} {result.node_id:<40} {rows}  {result.duration_s:6.2f}s  "
              f"{self.style(note[:100], colour) if note else ''}".rstrip(), file=self.stream)

    def _draw(self) -> None:
        if not self.live:
            return
        done = sum(self.counts.values())
        now = time.time()
        lines = [self.style(f"  … {n} ({now - t:.1f}s)", "cyan") for n, t in sorted(self.running.items())]
        lines.append(self.style(f"  {done}/{self.total} done · {self.counts['failed']} failed · "
                                f"{len(self.running)} running · {now - self.started:.1f}s", "dim"))
        print("\n".join(lines), file=self.stream, flush=True)
        self._drawn = len(lines)

    def _clear(self) -> None:
        if self.live and self._drawn:
            print(f"\033[{self._drawn}F\033[J", end="", file=self.stream)
            self._drawn = 0


def print_summary(run: RunResult, style: Style, stream: TextIO = sys.stdout) -> None:
    """A table of every node, then totals and where the story is."""
    print(style(f"\n{'node':<40} {'status':<8} {'rows out':>10} {'written':>10} {'time':>8}", "bold"), file=stream)
    for r in run.results:
        _, colour = _MARK.get(r.status, ("?", "dim"))
        out = f"{r.rows_out:,}" if r.rows_out is not None else "-"
        written = f"{r.rows_written:,}" if r.rows_written is not None else "-"
        print(f"{r.node_id:<40} {style(f'{r.status:<8}', colour)} {out:>10} {written:>10} {r.duration_s:>7.2f}s",
              file=stream)
    verdict = style("OK", "green", "bold") if run.ok else style("FAILED", "red", "bold")
    print(f"\n{verdict}  run {run.run_id}: {len(run.completed)} completed, {len(run.failed)} failed, "
          f"{len(run.skipped)} skipped in {run.duration_s:.2f}s", file=stream)
    if run.story_html:
        print(f"story: {run.story_html}", file=stream)
