"""Terminal colour: on for a TTY, off for pipes, ``NO_COLOR`` or ``--no-color``."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36", "dim": "2", "bold": "1"}


class Style:
    def __init__(self, stream: TextIO = sys.stdout, *, enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = stream.isatty() and "NO_COLOR" not in os.environ
        self.enabled = enabled

    def __call__(self, text: str, *names: str) -> str:
        if not self.enabled or not names:
            return text
        codes = ";".join(_CODES[n] for n in names)
        return f"\033[{codes}m{text}\033[0m"
