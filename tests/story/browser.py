"""Headless Chromium (Debian's ``chromium`` package) for story tests: the DOM after scripts ran, layout
measurements and screenshots. Headless windows are at least 500 px wide, so a page is measured and shot
inside an iframe of the exact width; a probe script in the wrapper writes what it measured into the DOM,
which a test reads from ``--dump-dom``."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="story" src="{src}" width="{width}" height="{height}" style="border:0;display:block"></iframe>
<script>document.getElementById('story').addEventListener('load',function(){{var w=this.contentWindow;
if(w.odibiToggle){{w.odibiToggle(true);}}var d=w.document.documentElement;var p=document.createElement('pre');
p.id='odibi-probe';p.textContent=JSON.stringify({{scrollWidth:d.scrollWidth,innerWidth:w.innerWidth}});
document.body.appendChild(p);}});</script></body></html>"""


def chromium() -> str:
    """The chromium binary, or skip (``./dev test`` installs it; ``apt-get install -y chromium``)."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    pytest.skip("headless Chromium is not installed: apt-get install -y chromium (./dev test installs it)")


def _run(page: Path, width: int, height: int, *args: str) -> str:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--disable-extensions", "--allow-file-access-from-files", f"--window-size={width},{height}", *args,
               page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _wrapped(page: Path, width: int, height: int) -> Path:
    wrapper = page.with_name(f"frame-{width}x{height}.html")
    wrapper.write_text(WRAPPER.format(src=page.name, width=width, height=height), encoding="utf-8")
    return wrapper


def dom(page: Path) -> str:
    """The DOM of ``page`` at 1280 px after its scripts ran."""
    return _run(page, 1280, 2000, "--dump-dom", "--virtual-time-budget=2000")


def measure(page: Path, width: int, height: int = 2000) -> dict[str, int]:
    """``page`` laid out ``width`` px wide with every section open: its ``scrollWidth`` and ``innerWidth``."""
    dumped = _run(_wrapped(page, width, height), max(width, 500), height, "--dump-dom",
                  "--virtual-time-budget=3000")
    found = re.search(r'<pre id="odibi-probe">(.*?)</pre>', dumped, re.S)
    assert found, "the probe script did not run"
    return dict(json.loads(html.unescape(found.group(1))))


def screenshot(page: Path, target: Path, width: int, height: int = 2000) -> tuple[int, int]:
    """Save a PNG of ``page`` laid out ``width`` px wide (``height`` px tall); return the PNG's size."""
    _run(_wrapped(page, width, height), width, height, f"--screenshot={target}")
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a PNG"
    png_width, png_height = struct.unpack(">II", data[16:24])
    return int(png_width), int(png_height)
