"""``${...}`` substitutions: ``${VAR}``, ``${env:VAR}``, ``${vars.name}`` and dates as Odibi writes them:
``${date:now}``, ``${date:today}``, ``${date:yesterday}``, ``${date:start_of_month}``, ``${date:end_of_month}``,
``${date:start_of_year}``, ``${date:-7d}`` (units ``d w m y`` from today's midnight, ``h`` from now), each with an
optional ``:FORMAT`` (strftime; ``%Y-%m-%d``, or ``%Y-%m-%d %H:%M:%S`` for ``now``).

Environment references inside ``connections`` are secrets and stay references (``${env:PG_PASSWORD}``);
connections resolve them when they open, so a secret value never enters the model, the Plan or its JSON.
``$${`` writes a literal ``${``.

In SQL (SQL steps, ``read.query``, the ``condition``/``order_by``/``derivations``/``aggregations`` params and
``custom_sql`` tests) a value cannot change the statement: inside a quoted string or name it is escaped for
those quotes; outside quotes it must be a plain literal (a number, an ISO date or timestamp, or a name of
letters, digits and ``_``), else the project does not load (see :func:`fit_sql`).
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import Problem, Severity
from .sql_text import SqlTextError, Token, lex

TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_DATE_OFFSET = re.compile(r"^([+-]?\d+)([dhwmy])$")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
NOW_FORMAT = "%Y-%m-%d %H:%M:%S"  # Odibi's default for ${date:now}
DATE_FORMS = ("now", "today", "yesterday", "start_of_month", "end_of_month", "start_of_year")
PLAIN_LITERAL = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
                           r"|[A-Za-z_][A-Za-z0-9_]*")
_NODE_SQL = {("read", "query"), ("params", "condition"), ("params", "order_by")}


SECRET_BLOCKS = ("connections", "alerts", "lineage")  # ${env:...} kept as references, resolved when used


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file (``KEY=value`` lines, ``#`` comments, optional quotes, ``export``)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass(slots=True)
class Environment:
    """Where ``${env:...}`` values come from: the process environment over the project's ``.env``."""

    dotenv: Mapping[str, str] = field(default_factory=dict)
    process: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @classmethod
    def for_project(cls, project_dir: Path) -> Environment:
        return cls(dotenv=read_dotenv(project_dir / ".env"))

    def get(self, name: str) -> str | None:
        value = self.process.get(name)
        return value if value is not None else self.dotenv.get(name)


def _is_api_read(path: tuple[Any, ...], value: Mapping[str, Any]) -> bool:
    """An HTTP API read: its options (query params, headers) hold ${env:...} secrets, kept as references
    (out of the Plan and its cache) and resolved when the API is called."""
    return bool(path) and path[-1] == "read" and value.get("format") == "api"


def resolve_env_refs(text: str, env: Environment) -> str:
    """Resolve the ``${env:X}``/``${X}`` references in a connection value at open time.

    Raises KeyError naming the variable when it is not set.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = _env_name(match.group(1))
        if name is None:
            return match.group(0)
        value = env.get(name)
        if value is None:
            raise KeyError(name)
        return value

    return TOKEN.sub(replace, text)


def _env_name(expr: str) -> str | None:
    expr = expr.strip()
    if expr.startswith("env:"):
        return expr[4:].strip()
    if expr.startswith(("vars.", "date")) or ":" in expr or "." in expr:
        return None
    return expr


def env_names(text: str) -> list[str]:
    """The environment variables a string references."""
    return [n for m in TOKEN.finditer(text) if m.group(1) is not None and (n := _env_name(m.group(1)))]


@dataclass(slots=True)
class Substituter:
    """Resolves substitutions across a loaded document, collecting problems instead of stopping."""

    env: Environment
    variables: Mapping[str, Any]
    now: datetime
    file: str | None = None
    problems: list[Problem] = field(default_factory=list)
    used_env: set[str] = field(default_factory=set)
    used_dates: set[str] = field(default_factory=set)
    locate: Callable[[tuple[Any, ...]], tuple[str, int] | None] = lambda path: None
    node_at: Callable[[tuple[Any, ...]], str | None] = lambda path: None

    def walk(self, value: Any, path: tuple[Any, ...], *, keep_env: bool = False) -> Any:
        """Return ``value`` with substitutions resolved in place (containers keep their locations)."""
        if isinstance(value, str):
            return self.resolve(value, path, keep_env=keep_env)
        if isinstance(value, dict):
            for key in list(value):
                secret_zone = keep_env or (len(path) == 0 and key in SECRET_BLOCKS) or (
                    key == "options" and _is_api_read(path, value))
                value[key] = self.walk(value[key], (*path, key), keep_env=secret_zone)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = self.walk(item, (*path, index), keep_env=keep_env)
        return value

    def resolve(self, text: str, path: tuple[Any, ...], *, keep_env: bool = False) -> Any:
        """Resolve one string; a string that is exactly one ``${vars.x}`` keeps the variable's type."""
        if "$" not in text:
            return text
        if not keep_env and is_sql_path(path):
            return self._resolve_sql(text, path)
        whole = TOKEN.fullmatch(text)
        if whole and whole.group(1) is not None and whole.group(1).strip().startswith("vars."):
            return self._lookup(whole.group(1).strip(), path, keep_env, typed=True)
        return TOKEN.sub(lambda m: self._replace(m, path, keep_env), text)

    def _resolve_sql(self, text: str, path: tuple[Any, ...]) -> Any:
        """Substitute into SQL so that no value can change the statement (see :func:`fit_sql`)."""
        if not TOKEN.search(text):
            return text
        try:
            tokens = lex(text, TOKEN)
        except SqlTextError as exc:
            return self._missing(f"cannot substitute into this SQL: {exc}", path, text,
                                 hint="close the string, quoted name or comment")
        out: list[str] = []
        for token in tokens:
            if token.kind != "placeholder" or token.text == "$${":
                out.append("${" if token.kind == "placeholder" else token.text)
                continue
            expr, before = token.text[2:-1].strip(), len(self.problems)
            value = self._lookup(expr, path, False, typed=True)
            if len(self.problems) > before:
                out.append(token.text)
                continue
            problem = fit_sql(str(value), token, "".join(out))
            if isinstance(problem, tuple):
                shown = (f"the value of environment variable '{_env_name(expr)}'" if _env_name(expr)
                         else f"its value is {_shown(value)}")
                return self._missing(f"'{token.text}' {problem[0]}; {shown}", path, text, hint=problem[1])
            if len(tokens) == 1:
                return value  # a whole-string ${vars.x} keeps its type
            out.append(problem)
        return "".join(out)

    def _replace(self, match: re.Match[str], path: tuple[Any, ...], keep_env: bool) -> str:
        if match.group(0) == "$${":
            return "$${" if keep_env else "${"
        return str(self._lookup(match.group(1).strip(), path, keep_env, typed=False))

    def _lookup(self, expr: str, path: tuple[Any, ...], keep_env: bool, *, typed: bool) -> Any:
        original = "${" + expr + "}"
        if expr.startswith("vars."):
            var = expr[5:]
            if var not in self.variables:
                return self._missing(f"variable '{var}' is not defined", path, original,
                                     hint=f"add it under 'vars:' or pass --var {var}=VALUE")
            value = self.variables[var]
            return value if typed else str(value)
        if expr == "date" or expr.startswith("date:"):
            return self._date(expr, path, original)
        name = _env_name(expr)
        if name is None:
            return self._missing(f"unknown substitution '{original}'", path, original,
                                 hint="use ${VAR}, ${env:VAR}, ${vars.name}, ${date:now} or ${date:-7d}")
        if not name:
            return self._missing("empty variable name in '${env:}'", path, original)
        if keep_env:  # kept as a reference (a secret): the Plan does not depend on its value
            if self.env.get(name) is None:
                self._missing(f"environment variable '{name}' is not set", path, original,
                              severity="warning",
                              hint=f"set {name} in the environment or the project's .env before running")
            return original
        value = self.env.get(name)
        if value is None:
            return self._missing(f"environment variable '{name}' is not set", path, original,
                                 hint=f"export {name}=... or add it to the .env next to the project file")
        self.used_env.add(name)  # substituted into the Plan: the plan cache keys on its value
        return value

    def _date(self, expr: str, path: tuple[Any, ...], original: str) -> str:
        _, _, spec = expr.partition(":")
        form, _, fmt = spec.partition(":")
        when = resolve_date(form.strip() or "today", self.now)
        if when is None:
            return self._missing(f"unknown date expression '{form.strip()}' in '{original}'", path, original,
                                 hint="write one of " + ", ".join(f"${{date:{f}}}" for f in DATE_FORMS)
                                 + ", or an offset such as ${date:-7d}, ${date:+1m} or ${date:-2w:%Y%m%d}")
        self.used_dates.add(expr)
        return when.strftime(fmt or (NOW_FORMAT if form.strip() == "now" else DEFAULT_DATE_FORMAT))

    def _missing(self, message: str, path: tuple[Any, ...], original: str, *,
                 hint: str | None = None, severity: Severity = "error") -> str:
        from .yaml_source import format_path

        loc = self.locate(path)
        self.problems.append(Problem(message, path=format_path(path), file=loc[0] if loc else self.file,
                                     line=loc[1] if loc else None, hint=hint, code="substitution",
                                     severity=severity, node=self.node_at(path)))
        return original


def resolve_date(form: str, now: datetime) -> datetime | None:
    """The moment an Odibi date expression names (``now``, ``today``, ``-7d``, ``+1m``...), None if unknown.

    As in Odibi, named dates other than ``now`` and offsets in days, weeks, months and years count from today's
    midnight (a month offset past the month's end lands on its last day); ``h`` offsets count from ``now``.
    """
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    named = {"now": now, "today": midnight, "yesterday": midnight - timedelta(days=1),
             "start_of_month": midnight.replace(day=1), "start_of_year": midnight.replace(month=1, day=1),
             "end_of_month": _add_months(midnight.replace(day=1), 1) - timedelta(days=1)}
    if form in named:
        return named[form]
    match = _DATE_OFFSET.match(form)
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "h":
        return now + timedelta(hours=amount)
    if unit in "dw":
        return midnight + timedelta(days=amount * (7 if unit == "w" else 1))
    return _add_months(midnight, amount * (12 if unit == "y" else 1))


def _add_months(day: datetime, months: int) -> datetime:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def is_sql_path(path: tuple[Any, ...]) -> bool:
    """Whether the string at ``path`` (in the merged document) is SQL text."""
    if len(path) < 5 or path[0] != "pipelines" or path[2] != "nodes":
        return False
    rest = path[4:]
    if rest[:2] == ("transform", "steps"):
        return len(rest) == 3 or rest[3:] == ("sql",)
    if rest[:2] == ("validation", "tests"):
        return rest[3:] == ("condition",)
    return rest in _NODE_SQL or (len(rest) == 3 and rest[:2] in (("params", "derivations"),
                                                                 ("params", "aggregations")))


def fit_sql(value: str, token: Token, before: str) -> str | tuple[str, str]:
    """``value`` as text to put where ``token`` sits in SQL, or (what is wrong, how to fix it).

    In a string or quoted name the quote is doubled and a backslash may not touch a quote (engines that
    read backslash escapes would end the literal there); in a comment the value cannot end the comment;
    outside quotes only a plain literal (:data:`PLAIN_LITERAL`) is accepted.
    """
    quote = token.context
    if quote in ("'", '"', "`"):
        escaped = value.replace(quote, quote * 2)
        if quote != "`" and "\\" + quote in before[-1:] + escaped + quote:
            return ("has a backslash next to a quote, which ends the SQL literal on engines that read "
                    "backslash escapes", "pass the value without a backslash before a quote or at its end")
        return escaped
    if quote == "$":
        return value if "$" not in value else (
            "is inside a $-quoted string and contains '$'", "use a '...' string in the SQL instead")
    if quote in ("--", "/*"):
        ends = ("\n", "\r") if quote == "--" else ("*/", "/*")
        return value if not any(e in value for e in ends) else (
            "would end the SQL comment it sits in", "remove the substitution from the comment")
    if PLAIN_LITERAL.fullmatch(value) and not (value.startswith("-") and before.endswith("-")):
        return value
    return ("is substituted outside quotes in SQL, so its value must be a plain literal (a number, an ISO "
            "date or timestamp, or a name of letters, digits and _)",
            f"put it in quotes in the SQL ('{token.text}') to use the value as a string")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
