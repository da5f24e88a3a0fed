"""Lexical checks luqum does not report with a useful position: unbalanced quotes and
parentheses, and which operator a "syntax error" was really about."""

from __future__ import annotations

import re

from monitor.errors import RuleError

# Quoted strings (possibly unterminated), parentheses, escaped characters and bare words.
_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"?|[()]|(?:\\.|[^\s()"\\])+|\S')
_UNEXPECTED = re.compile(r"unexpected\s+'(.*)' at position (\d+)")
_ILLEGAL = re.compile(r"Illegal character '(.*)' at position (\d+)")
_OPERATORS = ("AND", "OR", "NOT", "-", "+")


def tokens(query: str) -> list[tuple[str, int]]:
    """The query's tokens with their positions (quoted phrases are one token)."""
    return [(m.group(), m.start()) for m in _TOKEN.finditer(query)]


MAX_NESTING = 32  # far beyond any real rule; deeper trees would exhaust the parser's recursion


# Without backslashes, the only tokens that matter to `check_balance` are these.
_QUOTES_AND_PARENS = re.compile(r'"[^"]*"?|[()]')


def check_balance(query: str) -> None:
    """Raise RuleError at the first quote or parenthesis that is never closed/opened."""
    if '"' not in query and "(" not in query and ")" not in query:
        return
    found = (
        tokens(query)
        if "\\" in query
        else [(m.group(), m.start()) for m in _QUOTES_AND_PARENS.finditer(query)]
    )
    opened: list[int] = []
    for token, pos in found:
        if token.startswith('"'):
            if len(token) == 1 or not _closed(token):
                raise RuleError("unbalanced quote", pos, query)
        elif token == "(":
            opened.append(pos)
            if len(opened) > MAX_NESTING:
                raise RuleError(f"parentheses nested deeper than {MAX_NESTING}", pos, query)
        elif token == ")":
            if not opened:
                raise RuleError("unbalanced parenthesis", pos, query)
            opened.pop()
        elif '"' in token:
            raise RuleError("unbalanced quote", pos + token.index('"'), query)
    if opened:
        raise RuleError("unbalanced parenthesis", opened[-1], query)


def _closed(quoted: str) -> bool:
    body = quoted[1:]
    return body.endswith('"') and not _escaped_at(body, len(body) - 1)


def _escaped_at(text: str, index: int) -> bool:
    backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
    return backslashes % 2 == 1


def _is_operator(token: str) -> bool:
    return token in _OPERATORS or (token.endswith(":") and not token.startswith('"'))


def explain_parse_error(query: str, luqum_message: str) -> tuple[str, int]:
    """Turn luqum's message into ours: name the dangling operator and where it is."""
    found = tokens(query)
    m = _UNEXPECTED.search(luqum_message)
    if m is not None:
        position = int(m.group(2))
        before = [(t, p) for t, p in found if p < position]
        if before and _is_operator(before[-1][0]):
            return f"dangling operator {before[-1][0]}", before[-1][1]
        if m.group(1) in _OPERATORS:
            return f"dangling operator {m.group(1)}", position
        return f"unexpected {m.group(1)}", position
    m = _ILLEGAL.search(luqum_message)
    if m is not None:
        return f"unexpected character {m.group(1)[:1]!r}", int(m.group(2))
    if "end of expression" in luqum_message:
        if found and _is_operator(found[-1][0]):
            return f"dangling operator {found[-1][0]}", found[-1][1]
        return "unexpected end of query", len(query)
    if "invalid literal for int()" in luqum_message and "~" in query:
        return "proximity distance must be a whole number", query.index("~")
    return f"invalid query ({luqum_message})", 0
