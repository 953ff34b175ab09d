"""The ``run`` command's live progress (a line per running node, counts, elapsed) and summary table.

On a terminal the live block is redrawn in place below the finished-node lines. Anything else written to
stdout or stderr while it is shown (log warnings, a function's ``print``) goes through :class:`_Interleaved`,
which erases the block first and redraws it after the text, so nothing printed is overwritten and no stale
progress line is left behind.
"""

from __future__ import annotations

import io
import logging
import shutil
import sys
import threading
import time
from typing import Any, TextIO

from ..runner.results import NodeResult, RunResult
from .style import Style

_MARK = {"success": ("✓", "green"), "warning": ("!", "yellow"), "failed": ("✗", "red"), "skipped": ("-", "dim")}


class Progress:
    """Redraws in place on a terminal; prints one line per finished node otherwise. Use it as a context
    manager: while open, stdout, stderr and the log handlers writing to them go around the live block."""

    def __init__(self, total: int, style: Style, stream: TextIO | None = None) -> None:
        stream = stream or sys.stdout  # looked up now: the process's stdout may have been replaced since import
        self.total, self.style, self.stream = total, style, stream
        self.live = stream.isatty()
        self.running: dict[str, float] = {}
        self.counts = {"success": 0, "warning": 0, "failed": 0, "skipped": 0}
        self.started = time.time()
        self._lock = threading.RLock()
        self._drawn = 0
        self._midline = False  # someone wrote text without its newline yet: do not draw below it
        self._restore: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> Progress:
        if not self.live:
            return self
        try:
            terminal = (sys.__stdout__, sys.__stderr__, self.stream, sys.stdout, sys.stderr)
            for name in ("stdout", "stderr"):
                self._swap(sys, name, _Interleaved(self, getattr(sys, name)))
            for handler in _stream_handlers():
                stream = handler.stream
                if stream in terminal or isinstance(stream, _Interleaved):
                    self._swap(handler, "stream", _Interleaved(self, _real(stream)))
        except BaseException:
            self.close()  # never leave the process with swapped streams
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, node_id: str, state: str, result: NodeResult | None) -> None:
        with self._lock:
            self._clear()
            if state == "start":
                self.running[node_id] = time.time()
            else:
                self.running.pop(node_id, None)
                assert result is not None
                self.counts[result.status] = self.counts.get(result.status, 0) + 1
                self._line(result)
            self._draw()

    def close(self) -> None:
        """Erase the live block and give stdout, stderr and the log handlers their streams back."""
        with self._lock:
            self._clear()
            for owner, attr, value in reversed(self._restore):
                setattr(owner, attr, value)
            self._restore.clear()

    def _swap(self, owner: Any, attr: str, value: Any) -> None:
        self._restore.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, value)

    def _line(self, result: NodeResult) -> None:
        mark, colour = _MARK.get(result.status, ("?", "dim"))
        rows = f"{result.rows_out:>9,} rows" if result.rows_out is not None else " " * 14
        note = (result.error or result.skipped_reason or "").strip()
        first, _, rest = note.partition("\n")
        self.stream.write(f"{self.style(mark, colour, 'bold')} {result.node_id:<40} {rows}  {result.duration_s:6.2f}s  "
                          f"{self.style(first, colour) if first else ''}".rstrip() + "\n")
        for more in rest.splitlines():
            self.stream.write(f"    {self.style(more, colour)}\n")
        self.stream.flush()

    def _draw(self) -> None:
        if not self.live or self._midline:
            return
        done = sum(self.counts.values())
        now = time.time()
        width = max(20, shutil.get_terminal_size().columns - 1)  # a wrapped line would not be erased
        lines = [f"  … {n} ({now - t:.1f}s)" for n, t in sorted(self.running.items())]
        lines.append(f"  {done}/{self.total} done · {self.counts['failed']} failed · "
                     f"{len(self.running)} running · {now - self.started:.1f}s")
        colours = ["cyan"] * (len(lines) - 1) + ["dim"]
        self.stream.write("".join(self.style(line[:width], colour) + "\n"
                                  for line, colour in zip(lines, colours, strict=True)))
        self.stream.flush()
        self._drawn = len(lines)

    def _clear(self) -> None:
        if self.live and self._drawn:
            self.stream.write(f"\033[{self._drawn}F\033[J")
            self.stream.flush()
            self._drawn = 0


class _Interleaved(io.TextIOBase):
    """A text stream that writes around the live block: erase it, write, redraw after a complete line."""

    def __init__(self, progress: Progress, real: TextIO) -> None:
        self._progress, self.real = progress, real

    def write(self, text: str) -> int:
        progress = self._progress
        with progress._lock:
            progress._clear()
            written = self.real.write(text)
            self.real.flush()
            if text:
                progress._midline = not text.endswith("\n")
            progress._draw()
        return written

    def flush(self) -> None:
        self.real.flush()

    def isatty(self) -> bool:
        return self.real.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.real, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.real.fileno()


def _real(stream: Any) -> Any:
    return stream.real if isinstance(stream, _Interleaved) else stream


def _stream_handlers() -> list[logging.StreamHandler[Any]]:
    """The stream handlers of every configured logger (and Python's last-resort handler)."""
    loggers = [logging.getLogger(), *(obj for obj in logging.Logger.manager.loggerDict.values()
                                      if isinstance(obj, logging.Logger))]
    handlers = {id(h): h for lg in loggers for h in lg.handlers if isinstance(h, logging.StreamHandler)}
    # a handler whose stream is a read-only property (logging's last-resort handler) writes to the current
    # sys.stderr, which is already swapped
    return [h for h in handlers.values() if not isinstance(h, logging.FileHandler)
            and not isinstance(getattr(type(h), "stream", None), property)]


def print_summary(run: RunResult, style: Style, stream: TextIO | None = None) -> None:
    """A table of every node, then the full error of each failed node, totals and where the story is."""
    stream = stream or sys.stdout
    print(style(f"\n{'node':<40} {'status':<8} {'rows out':>10} {'written':>10} {'time':>8}", "bold"), file=stream)
    for r in run.results:
        _, colour = _MARK.get(r.status, ("?", "dim"))
        out = f"{r.rows_out:,}" if r.rows_out is not None else "-"
        written = f"{r.rows_written:,}" if r.rows_written is not None else "-"
        print(f"{r.node_id:<40} {style(f'{r.status:<8}', colour)} {out:>10} {written:>10} {r.duration_s:>7.2f}s",
              file=stream)
    failures = [r for r in run.results if r.status == "failed"]
    if failures:
        print(style("\nerrors", "bold"), file=stream)
        for r in failures:
            print(f"{style(r.node_id, 'red', 'bold')}: {r.error or 'failed'}", file=stream)
    verdict = style("OK", "green", "bold") if run.ok else style("FAILED", "red", "bold")
    print(f"\n{verdict}  run {run.run_id}: {len(run.completed)} completed, {len(run.failed)} failed, "
          f"{len(run.skipped)} skipped in {run.duration_s:.2f}s", file=stream)
    if run.story_html:
        print(f"story: {run.story_html}", file=stream)
