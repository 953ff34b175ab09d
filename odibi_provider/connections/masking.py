"""Secrets registered when connections open, masked in everything a run shows (standard library only).

Connections register every resolved secret here; the runner masks node errors and tracebacks (so the
CLI, the story, hook events, Dagster's event log and Airflow's task log never carry one), and the CLI
masks what it prints. A secret is masked as written, percent-quoted and unquoted, and in the pieces
a URL parser cuts a password into at ``@ # / : ? %`` (pieces shorter than :data:`MIN_PIECE` are too
common to mask without hiding ordinary text).
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, unquote

MIN_LENGTH = 3
MIN_PIECE = 4
USERINFO_SAFE = "!$&'()*+,;=-._~"  # RFC 3986 user:password characters that need no quoting
_CUTS = re.compile(r"[@#/:?%]")
_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def secret_variants(value: str, *, pieces: bool = False) -> set[str]:
    """``value`` as written, quoted and unquoted; with ``pieces`` (a password) also the pieces a URL
    parser cuts each form into."""
    whole = {v for v in (value, quote(value, safe=""), quote(value, safe=USERINFO_SAFE), unquote(value))
             if len(v) >= MIN_LENGTH}
    cut = {piece for form in whole for piece in _CUTS.split(form) if len(piece) >= MIN_PIECE} if pieces else set()
    return whole | cut


def register_secret(value: str | None, *, pieces: bool = False) -> None:
    """Mask ``value`` (and its variants, see :func:`secret_variants`) from now on in this process."""
    if not value:
        return
    global _pattern
    found = secret_variants(value, pieces=pieces)
    with _lock:
        if not found - _secrets:
            return
        _secrets.update(found)
        longest_first = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in longest_first), re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (in any letter case: a URL parser
    lower-cases what it takes for a host name)."""
    return _pattern.sub("***", text) if _pattern is not None and text else text
