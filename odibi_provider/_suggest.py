"""Did-you-mean suggestions shared by every error message."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], *, limit: int = 3) -> str | None:
    """Return ``"did you mean 'x'?"`` for the closest choices, or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(choices), n=limit, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


def known(choices: Iterable[str]) -> str:
    """Format a sorted list of accepted names for an error message."""
    names = sorted(set(choices))
    return ", ".join(names) if names else "(none)"
