"""The parser's shortcut for simple queries (a word, a phrase, an OR-list of them) gives exactly
what the luqum path gives: the same AST, positions and labels included, or the same error."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.errors import RuleError
from monitor.rules.ast import Node, Or, Term
from monitor.rules.syntax import parse_simple, parse_with_luqum

Outcome = tuple[str, object, object]


def outcome(node: Node | None = None, error: RuleError | None = None) -> Outcome:
    if error is not None:
        return ("error", error.message, error.position)
    return ("node", node, None)


def via_luqum(query: str) -> Outcome:
    try:
        return outcome(parse_with_luqum(query))
    except RuleError as e:
        return outcome(error=e)


def via_shortcut(query: str) -> Outcome | None:
    """None when the query does not take the shortcut."""
    try:
        node = parse_simple(query)
    except RuleError as e:
        return outcome(error=e)
    return None if node is None else outcome(node)


SIMPLE = [
    "rocket",
    "Rocket*",
    "  Zürich ",
    '"green zone"',
    '"rocket* attack*"',
    "rocket OR missile*",
    '(rocket OR "green zone" OR drone*)',
    "( a_b OR 2024 )",
    "NEARBY OR AND* OR nearly",
]
NOT_SIMPLE = [
    "rocket embassy",
    "rocket AND embassy",
    "rocket OR",
    "OR rocket",
    "a OR b)",
    "(a OR b",
    "(a) OR (b)",
    "title:rocket",
    'rocket OR"zone"',
    '"a b"~2',
    "a~2",
    "-rocket",
    "NEAR",
    "a NEAR/2 b",
    "TO",
    r'"a \" b"',
    r"rock\et",
    "a*b",
    "*rocket",
]


@pytest.mark.parametrize("query", SIMPLE)
def test_words_phrases_and_or_lists_take_the_shortcut(query: str) -> None:
    shortcut = via_shortcut(query)
    assert shortcut is not None and shortcut[0] == "node"
    assert shortcut == via_luqum(query)


@pytest.mark.parametrize("query", NOT_SIMPLE)
def test_anything_else_goes_through_luqum(query: str) -> None:
    assert parse_simple(query) is None


def test_an_or_list_keeps_each_term_as_written_and_where_it_was() -> None:
    node = parse_simple('(Rocket* OR "Green  zone")')
    assert isinstance(node, Or)
    first, second = node.children
    assert isinstance(first, Term) and isinstance(second, Term)
    assert (first.label, first.pos, second.label, second.pos) == ("rocket*", 1, '"green  zone"', 12)


WORDS = [
    "rocket", "Rocket", "rock*", "ro*", "Zürich", "ß", "_", "a_b", "x1", "2024", "½", "İstanbul",
    "AND", "OR", "NOT", "TO", "NEAR", "NEAR*", "AND*", "ORx", "nearby", "a*b", "*a", "a?", "a-b",
    "C-RAM", "a:b", "a~1", "a^2", "a/b", "\\a", "a'b", "*", "a**",
]  # fmt: skip
CHARS = "ab Z_ü*?-'/\\:~^()\"\t+ORN"
words = st.one_of(st.sampled_from(WORDS), st.text(alphabet=CHARS, min_size=1, max_size=5))
phrases = st.builds(
    lambda body, close: f'"{body}{close}',
    st.text(alphabet="ab *\\()~ü", max_size=8),
    st.sampled_from(['"', '"', '"', "", '"~2', '" ']),
)
items = st.one_of(st.sampled_from(WORDS[:12]), words, phrases)
joiners = st.sampled_from([" OR "] * 4 + ["  OR\t", "\nOR ", " ", "OR", " or ", " AND ", "OR "])
spaces = st.sampled_from(["", "", " ", "\t ", "\n"])
lists = st.builds(
    lambda pre, open_, first, rest, close, post: pre + open_ + first + "".join(rest) + close + post,
    spaces,
    st.sampled_from(["", "", "(", "( ", "(("]),
    items,
    st.lists(st.builds(lambda j, i: j + i, joiners, items), max_size=3),
    st.sampled_from(["", "", ")", " )", "))"]),
    spaces,
)


# Mostly of the shortcut's shape: valid words (some too short a prefix) and phrases, ORed.
near_simple = st.builds(
    lambda pre, parens, terms, post: pre + parens[0] + " OR ".join(terms) + parens[1] + post,
    spaces,
    st.sampled_from([("", ""), ("(", ")"), ("( ", "\t)")]),
    st.lists(
        st.one_of(st.sampled_from(WORDS[:17] + ["NEARBY", "AND*", "ORx"]), phrases), min_size=1
    ),
    spaces,
)


@settings(max_examples=1000, deadline=None)
@given(query=st.one_of(near_simple, lists, st.text(alphabet=CHARS, max_size=12)))
@example('(a OR "b c" OR d*)')
@example("ab OR ro*")
@example("_ OR x")
@example("OR")
@example("a OR OR")
@example('"ab\\"')
@example("(a OR b")
def test_the_shortcut_agrees_with_luqum(query: str) -> None:
    shortcut = via_shortcut(query)
    if shortcut is not None:
        assert shortcut == via_luqum(query), query
