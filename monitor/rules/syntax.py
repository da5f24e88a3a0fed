"""Query text → our AST (`parse_query`), via luqum's Lucene parser.

luqum gives implicit AND a lower precedence than OR and reads `NEAR/10` as a word, so each
ungrouped run of operators is flattened back into textual order and rebuilt with our precedence:
NOT, then NEAR/N, then AND (explicit or implicit), then OR. Every rejection is a `RuleError`
carrying the 0-based character position in the query.

luqum (PLY, pure Python) costs ~7 µs per token, so what needs no grammar does not go to it: a
query that is only a word, a phrase or an OR-list of them is converted directly
(`parse_simple`), such lists inside larger queries reach luqum as one placeholder word
(`parse_with_groups`), and each distinct word and phrase text is converted once (terms.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from monitor.errors import RuleError
from monitor.rules.ast import (
    QUERY_FIELDS,
    And,
    Near,
    Node,
    Not,
    Or,
    Term,
    Word,
    matches_empty,
)
from monitor.rules.lex import check_balance, explain_parse_error
from monitor.rules.memo import clear_memos, memo
from monitor.rules.terms import NEAR, Phrase, TermProblem, phrase_terms, word_terms

_UNSUPPORTED = {
    "Fuzzy": "fuzzy matching (word~N) is not supported; use a prefix such as rocket*",
    "Boost": "boosts (^) are not supported",
    "Range": "ranges are not supported",
    "OpenRange": "ranges are not supported",
    "Regex": "regular expressions are not supported",
}
# An operand followed by the operator joining it to the next one; "" closes the run.
_Run = list[tuple[Any, str]]


@memo
def parse_query(query: str) -> Node:
    """Parse a rule query; raises RuleError(message, position, query) for any bad rule.

    Cached: a service validates its rules and then builds them, and the AST is immutable.
    """
    if not query.strip():
        raise RuleError("empty query", 0, query)
    node = parse_simple(query)
    if node is None:
        node = parse_with_groups(query)
    if matches_empty(node):
        raise RuleError(
            "query matches items without any of its terms (a NOT needs a positive term beside it)",
            _first_not(node),
            query,
        )
    return node


def clear_caches() -> None:
    """Forget every parsed query, word and phrase (to measure cold parses, or to free the
    memory of a rule set that was replaced)."""
    clear_memos()


def parse_with_luqum(query: str) -> Node:
    """Any query, through luqum's tree of all of it (`parse_query` without the shortcuts or
    the checks on the result)."""
    check_balance(query)
    return _converted(query, lambda conv: conv.convert(_luqum_parse(query), None))


# The shortcut: a lone word, a quoted phrase, or words and phrases joined by OR, optionally in
# one pair of parentheses (4 of the 12 example rules in config/; the rest are built of them).
# Words are runs of \w (every such run is one luqum TERM) with an optional trailing *, other
# than luqum's operators and NEAR; phrases have no backslash. Such a query has no other
# reading, and luqum's tree for it is just its terms in order, so they go straight to the
# converter's word and phrase (tests/unit/test_rules_simple.py checks both paths agree on
# random queries).
_SIMPLE_ITEM = r'(?:(?!(?:AND|OR|NOT|TO|NEAR)(?![\w*]))\w+\*?|"[^"\\]*")'
_SIMPLE_LIST = rf"{_SIMPLE_ITEM}(?:\s+OR\s+{_SIMPLE_ITEM})*"
_SIMPLE = re.compile(rf"\s*(\(\s*)?{_SIMPLE_LIST}\s*(?(1)\))\s*")
_SIMPLE_TOKEN = re.compile(r'"[^"]*"|[^\s()]+')


def parse_simple(query: str) -> Node | None:
    """The query's node when it has the shortcut's shape, else None (then use luqum)."""
    if _SIMPLE.fullmatch(query) is None:
        return None
    return _converted(query, lambda conv: conv.simple(0, len(query)))


# The same shortcut inside a larger query: each parenthesised list of that shape goes to luqum
# as one placeholder word of the same length, so luqum reads a third of the tokens and every
# position stays where it was; the converter turns the placeholder back into the list. A group
# and a word are both luqum's `unary_expression` and differ only where a word may be a field
# name, fuzzy (`~`), boosted (`^`) or a range bound, so the query must have none of
# `\ : ^ [ ] { } < >` and no regex (`/` other than in NEAR/); the group must start and end a
# token (after a space, `(`, or a `-`/`+` that does, and before a space, `)` or the end; not
# before a `~`). luqum then builds the same tree around the placeholder; if it rejects the
# masked query, the query as written is parsed again so the error is luqum's own.
_NO_GROUPS = re.compile(r"[\\:^\[\]{}<>]|(?<!NEAR)/")
_GROUP_OR_PHRASE = re.compile(
    rf'"[^"]*"|(?:(?<![^\s(])|(?<=(?<![^\s(])[-+]))\(\s*{_SIMPLE_LIST}\s*\)(?![^\s)])(?!\s*~)'
)


def parse_with_groups(query: str) -> Node:
    """`parse_with_luqum`, with parenthesised OR-lists of words and phrases kept from luqum."""
    check_balance(query)
    groups = {} if _NO_GROUPS.search(query) else _groups(query)
    if not groups:
        return _converted(query, lambda conv: conv.convert(_luqum_parse(query), None))
    masked, last = [], 0
    for start, end in groups.items():
        masked += [query[last:start], "x" * (end - start)]
        last = end
    masked.append(query[last:])
    try:
        tree = _luqum_parse("".join(masked))
    except (ValueError, RecursionError):
        return parse_with_luqum(query)
    return _converted(query, lambda conv: conv.convert_masked(tree, groups))


def _groups(query: str) -> dict[int, int]:
    """Start → end of each parenthesised simple list outside phrases."""
    found = {}
    for m in _GROUP_OR_PHRASE.finditer(query):
        if m.group()[0] == "(":
            found[m.start()] = m.end()
    return found


def _luqum_parse(query: str) -> Any:
    from luqum.thread import parse  # PLY's lexer state is not thread-safe

    return parse(query)


def _converted(query: str, convert: Callable[[_Converter], Node]) -> Node:
    try:
        return convert(_Converter(query))
    except ValueError as e:  # luqum's ParseError is one
        message, position = explain_parse_error(query, str(e))
        raise RuleError(message, position, query) from e
    except RecursionError as e:
        raise RuleError("query too complex to parse (split it into several rules)", 0, query) from e


def _first_not(node: Node) -> int:
    if isinstance(node, Not):
        return node.pos
    if isinstance(node, And | Or):
        positions = [_first_not(child) for child in node.children]
        return min((p for p in positions if p >= 0), default=-1)
    return -1


class _Converter:
    """Walks luqum's tree once, building our nodes; knows the query text for positions."""

    def __init__(self, query: str) -> None:
        self.query = query
        # Placeholders for parenthesised simple lists (`parse_with_groups`): start → end.
        self.groups: dict[int, int] = {}

    def error(self, message: str, position: int) -> RuleError:
        return RuleError(message, position, self.query)

    def convert(self, item: Any, field: str | None) -> Node:
        kind = type(item).__name__
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise self.error(_UNSUPPORTED.get(kind, f"unsupported syntax ({kind})"), item.pos)
        return handler(self, item, field)

    def simple(self, start: int, end: int) -> Node:
        """query[start:end] of `parse_simple`'s shape: its words and phrases, ORed."""
        found = list(_SIMPLE_TOKEN.finditer(self.query, start, end))[::2]  # not the ORs
        nodes = [
            self.phrase_at(m.start(), m.end(), None)
            if m.group()[0] == '"'
            else self.word_at(m.group(), m.start(), None)
            for m in found
        ]
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def convert_masked(self, tree: Any, groups: dict[int, int]) -> Node:
        self.groups = groups
        return self.convert(tree, None)

    def operation(self, item: Any, field: str | None) -> Node:
        return self.run(_flatten(item, ""), field)

    def group(self, item: Any, field: str | None) -> Node:
        return self.convert(item.children[0], field)

    def negation(self, item: Any, field: str | None) -> Node:
        return Not(self.convert(item.children[0], field), item.pos)

    def search_field(self, item: Any, field: str | None) -> Node:
        name = item.name.lower()
        if field is not None:
            raise self.error(f"field {item.name}: inside field {field}:", item.pos)
        if name not in QUERY_FIELDS:
            known = ", ".join(f"{f}:" for f in QUERY_FIELDS)
            raise self.error(f"unknown field {item.name}: (known: {known})", item.pos)
        return self.convert(item.children[0], name)

    def run(self, run: _Run, field: str | None) -> Node:
        """Rebuild an ungrouped operator run with our precedence: OR of ANDs of NEAR chains."""
        alternatives: list[Node] = []
        segment: _Run = []
        for operand, op in run:
            segment.append((operand, op))
            if op in ("OR", ""):
                alternatives.append(self.segment(segment, field))
                segment = []
        return alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives))

    def segment(self, segment: _Run, field: str | None) -> Node:
        parts: list[Node | _Chain] = []
        pending: tuple[int, int] | None = None
        for index, (operand, op) in enumerate(segment):
            slop = self.near_marker(operand)
            if slop is not None:
                joined_before = index > 0 and segment[index - 1][1] == "IMPLICIT"
                if pending or not parts or not joined_before or op != "IMPLICIT":
                    raise self.error(f"{operand.value} needs a word on each side", operand.pos)
                pending = (slop, operand.pos)
                continue
            node = self.convert(operand, field)
            if pending is None:
                parts.append(node)
            else:
                parts[-1] = self.extend_chain(parts[-1], node, *pending)
                pending = None
        nodes = [self.near(p) if isinstance(p, _Chain) else p for p in parts]
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def near_marker(self, operand: Any) -> int | None:
        if type(operand).__name__ != "Word" or not operand.value.startswith("NEAR"):
            return None
        m = NEAR.fullmatch(operand.value)
        if m is None:
            return None
        if m.group(1) is None or not m.group(1).isdigit():
            raise self.error("NEAR needs a distance, e.g. NEAR/5", operand.pos)
        return int(m.group(1))

    def extend_chain(self, last: Node | _Chain, node: Node, slop: int, pos: int) -> _Chain:
        if not isinstance(last, _Chain):
            return _Chain([last, node], slop, pos)
        if last.slop != slop:
            raise self.error("NEAR distances differ in one chain; add parentheses", pos)
        last.operands.append(node)
        return last

    def near(self, chain: _Chain) -> Near:
        operands = tuple(self.near_operand(node, chain.pos) for node in chain.operands)
        return _near(operands, chain.slop, chain.pos, self)

    def near_operand(self, node: Node, pos: int) -> tuple[Term, ...]:
        if isinstance(node, Term):
            return (node,)
        if isinstance(node, Or):
            return tuple(t for child in node.children for t in self.near_operand(child, pos))
        raise self.error("NEAR operands must be words, phrases or OR-groups of them", pos)

    def word(self, item: Any, field: str | None) -> Node:
        return self.word_at(item.value, item.pos, field)

    def word_at(self, text: str, pos: int, field: str | None) -> Node:
        if self.groups and pos in self.groups:
            return self.simple(pos, self.groups[pos])
        try:
            words, label = word_terms(text)
        except TermProblem as e:
            raise self.error(e.message, pos + e.offset) from None
        return Term(words, label, field, pos)

    def phrase_words(self, item: Any) -> tuple[tuple[Word, int], ...]:
        """The words of a quoted phrase with the query position of each (a trailing * makes
        a prefix)."""
        inner_start = item.pos + 1
        found, _, _ = self.parsed_phrase(item.pos, item.pos + item.size)
        return tuple((word, inner_start + offset) for word, offset in found)

    def phrase(self, item: Any, field: str | None) -> Term:
        return self.phrase_at(item.pos, item.pos + item.size, field)

    def phrase_at(self, start: int, end: int, field: str | None) -> Term:
        _, words, label = self.parsed_phrase(start, end)
        return Term(words, label, field, start)

    def parsed_phrase(self, start: int, end: int) -> Phrase:
        """The phrase query[start:end], quotes included."""
        try:
            return phrase_terms(self.query[start + 1 : end - 1])
        except TermProblem as e:
            raise self.error(e.message, start + 1 + e.offset) from None

    def proximity(self, item: Any, field: str | None) -> Node:
        written = self.query[item.pos : item.pos + item.size]
        if not re.search(r"~\d+\s*$", written):
            raise self.error('proximity needs a distance, e.g. "a b"~5', item.pos)
        words = self.phrase_words(item.children[0])
        if len(words) == 1:
            return Term((words[0][0],), _word_label(words[0][0]), field, item.pos)
        operands = tuple((Term((w,), _word_label(w), field, pos),) for w, pos in words)
        return Near(operands, int(item.degree), field, item.pos)


_Handler = Callable[[_Converter, Any, "str | None"], Node]
_HANDLERS: dict[str, _Handler] = {
    "UnknownOperation": _Converter.operation,
    "AndOperation": _Converter.operation,
    "OrOperation": _Converter.operation,
    "Group": _Converter.group,
    "FieldGroup": _Converter.group,
    "Plus": _Converter.group,
    "Not": _Converter.negation,
    "Prohibit": _Converter.negation,
    "SearchField": _Converter.search_field,
    "Word": _Converter.word,
    "Phrase": _Converter.phrase,
    "Proximity": _Converter.proximity,
}


class _Chain:
    """Operands joined by NEAR/N, collected before they become one `Near`."""

    def __init__(self, operands: list[Node], slop: int, pos: int) -> None:
        self.operands = operands
        self.slop = slop
        self.pos = pos


def _word_label(word: Word) -> str:
    return word.text + "*" if word.prefix else word.text


def _near(operands: tuple[tuple[Term, ...], ...], slop: int, pos: int, conv: _Converter) -> Near:
    fields = {term.field for alternatives in operands for term in alternatives}
    if len(fields) > 1:
        raise conv.error("proximity operands must all search the same field", pos)
    return Near(operands, slop, fields.pop(), pos)


_OPERATORS = {"UnknownOperation": "IMPLICIT", "AndOperation": "AND", "OrOperation": "OR"}


def _flatten(item: Any, closing: str, run: _Run | None = None) -> _Run:
    """An ungrouped tree of AND/OR/implicit operations as (operand, operator after it) pairs in
    textual order; the last operand carries `closing`."""
    if run is None:
        run = []
    operator = _OPERATORS[type(item).__name__]
    operands = item.operands
    last = len(operands) - 1
    for index, operand in enumerate(operands):
        after = operator if index < last else closing
        if type(operand).__name__ in _OPERATORS:
            _flatten(operand, after, run)
        else:
            run.append((operand, after))
    return run
