"""Dagster-safe names: op, job, group, check and tag names allow only a restricted alphabet."""

from __future__ import annotations

import re

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,7}")  # as Dagster checks owners


def safe_name(text: str) -> str:
    """``text`` with every character Dagster rejects in op/job/group/check names replaced by ``_``."""
    name = _NAME_UNSAFE.sub("_", str(text))
    return name if name and not name[0].isdigit() else f"_{name}"


def op_name(*parts: str) -> str:
    """An op or job name joining ``parts`` with ``__`` (``silver__orders``)."""
    return "__".join(safe_name(p) for p in parts if p)


def tag_key(text: str) -> str:
    """A tag key: letters, digits, ``_ . -`` (at most 63 characters)."""
    return _TAG_UNSAFE.sub("_", str(text)).strip("._-")[:63] or "tag"



def owner(text: str) -> str:
    """An owner Dagster accepts: an email address as written, anything else as ``team:name``."""
    text = str(text).strip()
    if _EMAIL.fullmatch(text) or (text.startswith("team:") and len(text) > 5):
        return text
    return f"team:{safe_name(text)}"


def unique(names: list[str]) -> list[str]:
    """``names`` with repeats suffixed ``_2``, ``_3``... (check names must be unique per asset)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name}_{count}")
    return out
