"""The parser's shortcut for simple queries (a word, a phrase, an OR-list of them) gives exactly
what the luqum path gives: the same AST, positions and labels included, or the same error."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.errors import RuleError
from monitor.rules.ast import Node, Or, Term
from monitor.rules.syntax import _groups, parse_simple, parse_with_groups, parse_with_luqum
from tests.unit.test_rules_property import queries, render

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


# ---- parenthesised lists inside larger queries ----------------------------------------------


def via_groups(query: str) -> Outcome:
    try:
        return outcome(parse_with_groups(query))
    except RuleError as e:
        return outcome(error=e)


GROUPED = [
    '(rocket OR missile*) AND (embassy OR "green zone") -football',
    "(rocket* OR drone*) NEAR/5 (embassy OR zone)",
    "x -(a OR b) +(c) NOT (d OR e)",
    "((a OR b) OR c) d",
    '"a (b OR c) d" (e OR f)',
    "(ro* OR b) x",
]


@pytest.mark.parametrize("query", GROUPED)
def test_parenthesised_lists_inside_a_query_take_the_shortcut(query: str) -> None:
    assert _groups(query)
    assert via_groups(query) == via_luqum(query)


@pytest.mark.parametrize(
    "query",
    [
        "title:(a OR b)",
        "a(b OR c)",
        "a-(b OR c)",
        "(a OR b)~2",
        "(a OR b) ~2",
        "(a OR b)^2",
        r"(a OR b) c\d",
        "(a OR b)c",
        '(a OR b)"c"',
        "/x/ (a OR b)",
        '/p ("a/" OR b) q/ c',
        "[a TO b] (c OR d)",
        "[a TO (b OR c)]",
        "{a TO (b OR c)}",
        "[a TO (b OR c) ]",
        '"a\\" ("x" OR b) d"',
        "<(a OR b)",
        "> (a OR b)",
    ],
)
def test_lists_where_a_word_would_read_differently_go_through_luqum(query: str) -> None:
    assert via_groups(query) == via_luqum(query)


FRAGMENTS = [
    "(a OR b)", '(a OR "b c")', "(ro* OR dro*)", "( x )", "(a OR b OR NOT)", "rocket", "zone*",
    "-", "+", "NOT", "AND", "OR", "NEAR/2", "NEAR", '"a b"~2', '"c d"', "~2", "^2", "title:",
    "(", ")", "x", "*", "a(", ")b", "/r/", "/", '("a/" OR b)', "[a TO b]", "\\(", "TO", "a:b", '"',
]  # fmt: skip
fragment_queries = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from([" ", " ", "", "  "])),
    min_size=1,
    max_size=7,
).map(lambda parts: "".join(f + s for f, s in parts))


@settings(max_examples=1000, deadline=None)
@given(query=st.one_of(fragment_queries, queries.map(render)))
@example("(a OR b) NEAR/2 (c OR d)")
@example("-(a OR b)")
@example("a -(b OR c)")
def test_the_group_shortcut_agrees_with_luqum(query: str) -> None:
    assert via_groups(query) == via_luqum(query), query
