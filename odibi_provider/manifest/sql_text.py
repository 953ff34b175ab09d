"""A small SQL lexer (standard library only): enough to know where a ``${...}`` sits (code, a string, a
quoted name, a comment), to split statements, and to list the tables a query names.

It understands ``'...'`` strings, ``"..."`` and ``` `...` ``` names (a doubled quote escapes), ``--`` and
``/* */`` comments and ``$tag$...$tag$`` strings; it is not a full parser (the engine parses at run time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_REGIONS = {"'": ("string", "'"), '"': ("ident", '"'), "`": ("ident", "`"), "--": ("comment", "\n"),
            "/*": ("comment", "*/")}
QUERY_STARTS = frozenset({"SELECT", "WITH", "FROM", "VALUES", "TABLE", "PIVOT", "UNPIVOT", "("})
# a FROM inside these calls is not a table reference: extract(year FROM ts), substring(s FROM 2), ...
_FROM_FUNCTIONS = frozenset({"EXTRACT", "SUBSTRING", "TRIM", "OVERLAY", "POSITION"})
_CLAUSE_END = frozenset({"WHERE", "GROUP", "ORDER", "JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS", "ON", "USING",
                         "LIMIT", "UNION", "QUALIFY", "HAVING", "WINDOW", "NATURAL", "POSITIONAL", "ASOF", "ANTI",
                         "SEMI", "OFFSET", "EXCEPT", "INTERSECT", "SELECT", "LATERAL", "TABLESAMPLE", "PIVOT",
                         "UNPIVOT", "FETCH", "OUTER", "SAMPLE", "AS"})


class SqlTextError(ValueError):
    """SQL text that cannot be split into tokens (an unterminated string, name or comment)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Token:
    """``kind``: word, number, string, ident, comment, space, op or placeholder; a placeholder's
    ``context`` is where it sits: ``code``, ``'``, ``"``, ``` ` ```, ``--``, ``/*`` or ``$``."""

    kind: str
    text: str
    start: int
    context: str = "code"

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind in ("word", "op") else ""

    @property
    def name(self) -> str:
        """A word or quoted name as the engine sees it (quotes removed)."""
        if self.kind == "ident":
            quote = self.text[0]
            return self.text[1:-1].replace(quote * 2, quote)
        return self.text


def lex(text: str, placeholder: re.Pattern[str] | None = None) -> list[Token]:
    """The tokens of ``text``; ``placeholder`` matches (``${...}``) are tokens wherever they sit."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if placeholder is not None and (m := placeholder.match(text, i)):
            out.append(Token("placeholder", m.group(0), i))
            i = m.end()
            continue
        char, pair = text[i], text[i:i + 2]
        if pair in _REGIONS or char in _REGIONS:
            i = _region(text, i, pair if pair in _REGIONS else char, placeholder, out)
        elif char == "$" and (dollar := _DOLLAR.match(text, i)):
            i = _region(text, i, dollar.group(0), placeholder, out)
        elif char.isspace():
            end = i + 1
            while end < n and text[end].isspace():
                end += 1
            out.append(Token("space", text[i:end], i))
            i = end
        elif (word := _WORD.match(text, i)) or (word := _NUMBER.match(text, i)):
            out.append(Token("word" if word.re is _WORD else "number", word.group(0), i))
            i = word.end()
        else:
            out.append(Token("op", char, i))
            i += 1
    return out


def _region(text: str, start: int, opener: str, placeholder: re.Pattern[str] | None, out: list[Token]) -> int:
    """Scan a string, quoted name or comment from ``start``; return where it ends."""
    kind, closer = _REGIONS.get(opener, ("string", opener))
    context = opener if opener in _REGIONS else "$"
    i, head = start + len(opener), start
    while True:
        if i >= len(text):
            if closer == "\n":
                out.append(Token(kind, text[head:], head))
                return i
            what = {"string": "string", "ident": "quoted name", "comment": "comment"}[kind]
            raise SqlTextError(f"unterminated {what} (opened with {opener})", start)
        if placeholder is not None and (m := placeholder.match(text, i)):
            out.append(Token(kind, text[head:i], head))
            out.append(Token("placeholder", m.group(0), i, context))
            i = head = m.end()
            continue
        if text.startswith(closer, i):
            if len(closer) == 1 and closer in "'\"`" and text.startswith(closer, i + 1):
                i += 2
                continue
            i += len(closer)
            out.append(Token(kind, text[head:i], head))
            return i
        i += 1


def _code(tokens: Sequence[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in ("space", "comment")]


def statements(sql: str) -> list[list[Token]]:
    """The statements of ``sql`` (split at ``;``), each as its tokens without spaces and comments."""
    parts: list[list[Token]] = [[]]
    for token in _code(lex(sql)):
        if token.kind == "op" and token.text == ";":
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def query_problem(tokens: Sequence[Token]) -> str | None:
    """Why one statement's tokens are not a query (wrong first word, unbalanced parentheses), else None."""
    first = tokens[0].upper if tokens else ""
    if first not in QUERY_STARTS:
        return f"a SQL step must be one query (SELECT, WITH or FROM ...), not '{tokens[0].text}'"
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in "()":
            depth += 1 if token.text == "(" else -1
            if depth < 0:
                return f"unbalanced ')' at offset {token.start}"
    return "unbalanced '(': a parenthesis is never closed" if depth else None


def one_query(sql: str) -> tuple[list[Token], str | None]:
    """The tokens of ``sql`` if it is exactly one query, and why it is not (None when it is)."""
    try:
        parts = statements(sql)
    except SqlTextError as exc:
        return [], f"the SQL does not parse: {exc} at offset {exc.offset}"
    if len(parts) != 1:
        return [], (f"a SQL step must be exactly one statement; this one has {len(parts)}" if parts
                    else "the SQL step is empty")
    return parts[0], query_problem(parts[0])


def table_names(tokens: Sequence[Token]) -> list[str]:
    """The relations a query reads (after FROM / JOIN), without its CTE names and table functions."""
    tokens = list(tokens)
    ctes = {tokens[k].name.lower() for k in range(len(tokens) - 2)
            if tokens[k].kind in ("word", "ident") and tokens[k + 1].upper == "AS" and tokens[k + 2].text == "("}
    found: list[str] = []
    stack: list[str] = []
    for k, token in enumerate(tokens):
        if token.kind == "op" and token.text == "(":
            stack.append(tokens[k - 1].upper if k else "")
        elif token.kind == "op" and token.text == ")" and stack:
            stack.pop()
        elif token.upper in ("FROM", "JOIN") and not (stack and stack[-1] in _FROM_FUNCTIONS):
            found.extend(_relations_at(tokens, k + 1))
    return [name for name in dict.fromkeys(found) if name.lower() not in ctes]


def _relations_at(tokens: list[Token], k: int) -> list[str]:
    """The comma-separated relations of one FROM list starting at ``tokens[k]``."""
    names: list[str] = []
    while k < len(tokens) and tokens[k].kind in ("word", "ident") and tokens[k].upper not in _CLAUSE_END:
        end = k
        while end + 2 < len(tokens) and tokens[end + 1].text == "." and tokens[end + 2].kind in ("word", "ident"):
            end += 2
        if end + 1 < len(tokens) and tokens[end + 1].text == "(":
            return names  # a table function: read_csv(...), range(...)
        names.append(".".join(t.name for t in tokens[k:end + 1:2]))
        k = end + 1
        if k < len(tokens) and tokens[k].upper == "AS":
            k += 1
        if k < len(tokens) and tokens[k].kind in ("word", "ident") and tokens[k].upper not in _CLAUSE_END:
            k += 1  # an alias
        if k < len(tokens) and tokens[k].text == "(" and k > 0 and tokens[k - 1].kind in ("word", "ident"):
            return names  # alias(column list)
        if not (k < len(tokens) and tokens[k].text == ","):
            return names
        k += 1
    return names
