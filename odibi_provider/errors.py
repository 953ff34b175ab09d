"""The error types of odibi_provider: one base class, a few specific subclasses.

A :class:`Problem` names what is wrong, where (file, line, YAML path, node) and how to fix it.
:class:`ProjectError` carries every problem found, so ``validate`` reports them all at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a project, with its location and a hint to fix it."""

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    hint: str | None = None
    node: str | None = None
    code: str = "invalid"
    severity: Severity = "error"

    @property
    def location(self) -> str:
        """``file:line`` where known, else the file or ``<project>``."""
        where = self.file or "<project>"
        return f"{where}:{self.line}" if self.line else where

    def __str__(self) -> str:
        head = f"{self.location}: "
        if self.path:
            head += f"{self.path}: "
        text = head + self.message
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class OdibiError(Exception):
    """Base class of every error odibi_provider raises on purpose."""


class ProjectError(OdibiError):
    """A project failed to load, validate or compile; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem], *, summary: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = summary or f"{len(errors)} problem(s) in the project"
        body = "\n".join(f"  - {p}" for p in errors)
        super().__init__(f"{head}:\n{body}" if body else head)


class RegistryError(OdibiError):
    """A transform function was registered or looked up wrongly."""


class MissingExtraError(OdibiError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class ExecutionError(OdibiError):
    """A node failed while running; ``node`` names it. ``retryable`` says whether another try may pass
    (None: judged from the cause, see :mod:`odibi_provider.runner.failures`)."""

    def __init__(self, message: str, *, node: str | None = None, retryable: bool | None = None) -> None:
        self.node = node
        self.retryable = retryable
        super().__init__(f"node {node}: {message}" if node else message)
