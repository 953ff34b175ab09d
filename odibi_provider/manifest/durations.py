"""Durations as Odibi writes them in ``read.incremental``: ``lookback`` (a count of ``unit``) and
``watermark_lag`` (``2h``, ``30m``, ``1d``). Parsed once, at validate; a malformed one is a ValueError that
lists the accepted forms, so it is reported with its file, line and YAML path.

Odibi's units: a month is 30 days and a year 365 days (as Odibi's rolling window computes them).
Standard library only.
"""

from __future__ import annotations

import re

SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
                "month": 30 * 86400, "year": 365 * 86400}
_WORD = {**{f"{u}s": u for u in UNIT_SECONDS}, **{u: u for u in UNIT_SECONDS},
         "sec": "second", "secs": "second", "min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour"}
_FORM = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$")
FORMS = ("a whole number of the unit (3)", "a number with s, m, h, d or w (30m, 2h, 1d)",
         "a number and a unit word (3 days, 2 hours)")


def duration_seconds(value: int | str, *, default_unit: str | None, what: str) -> int:
    """``value`` in seconds; a bare number counts ``default_unit`` (an error when there is none)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{what} must be a duration, got {value!r}; accepted forms: {'; '.join(FORMS)}")
    match = _FORM.match(str(value).lower())
    unit = (match.group(2) or default_unit or "") if match else ""
    seconds = SECONDS.get(unit) or UNIT_SECONDS.get(_WORD.get(unit, ""))
    if match is None or seconds is None:
        need = "" if match is None or match.group(2) or default_unit else " (a bare number needs a unit here)"
        raise ValueError(f"{what}: {value!r} is not a duration{need}; accepted forms: {'; '.join(FORMS)}")
    count = int(match.group(1))
    if count <= 0:
        raise ValueError(f"{what} must be positive, got {value!r}")
    return count * seconds


def has_unit(value: int | str) -> bool:
    """True for a duration that names its own unit (``2h``, ``3 days``), not a bare count."""
    return isinstance(value, str) and bool(re.search(r"[a-zA-Z]", value))
