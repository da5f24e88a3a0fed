"""The rule language's syntax: what each query means, and every bad rule with its position."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import RuleError
from monitor.rules import parse_query
from monitor.rules.ast import And, Near, Node, Not, Or, Term
from monitor.rules.lex import check_balance


def show(node: Node) -> str:
    """A compact, fully parenthesised rendering of our AST, to compare meanings."""
    if isinstance(node, Term):
        words = " ".join(w.text + "*" * w.prefix for w in node.words)
        field = f"{node.field}:" if node.field else ""
        return f"{field}[{words}]"
    if isinstance(node, Near):
        ops = " | ".join("/".join(show(t) for t in alts) for alts in node.operands)
        return f"near{node.slop}({ops})"
    if isinstance(node, Not):
        return f"-{show(node.child)}"
    joiner = " & " if isinstance(node, And) else " , "
    return "(" + joiner.join(show(c) for c in node.children) + ")"


MEANINGS = [
    ("rocket", "[rocket]"),
    ("Rocket", "[rocket]"),
    ("rocket embassy", "([rocket] & [embassy])"),
    ("rocket AND embassy", "([rocket] & [embassy])"),
    ("rocket OR embassy", "([rocket] , [embassy])"),
    ("a b OR c", "(([a] & [b]) , [c])"),
    ("a OR b c", "([a] , ([b] & [c]))"),
    ("a OR b AND c", "([a] , ([b] & [c]))"),
    ("a AND b OR c AND d", "(([a] & [b]) , ([c] & [d]))"),
    ("NOT a b", "(-[a] & [b])"),
    ("a NOT b OR c", "(([a] & -[b]) , [c])"),
    ("a -b", "([a] & -[b])"),
    ("+a b", "([a] & [b])"),
    ("rocket (NOT football)", "([rocket] & -[football])"),
    ("(a OR b) c", "(([a] , [b]) & [c])"),
    ("a and b", "([a] & [and] & [b])"),
    ("a or b", "([a] & [or] & [b])"),
    ("a near b", "([a] & [near] & [b])"),
    ('"green zone"', "[green zone]"),
    ("C-RAM", "[c ram]"),
    ("Iraq's", "[iraq s]"),
    ("Zürich", "[zurich]"),
    ("Łódź", "[lodz]"),
    ("Straße", "[strasse]"),
    ("rocket*", "[rocket*]"),
    ("rocket\\*", "[rocket]"),
    ('"rocket* embass*"~5', "near5([rocket*] | [embass*])"),
    ('"rocket embassy"~10', "near10([rocket] | [embassy])"),
    ('"rocket"~3', "[rocket]"),
    ("rocket NEAR/10 embassy", "near10([rocket] | [embassy])"),
    ("a NEAR/2 b NEAR/2 c", "near2([a] | [b] | [c])"),
    ("x a NEAR/3 b", "([x] & near3([a] | [b]))"),
    ("x OR a NEAR/3 b", "([x] , near3([a] | [b]))"),
    (
        '(rocket* OR drone*) NEAR/8 (embassy OR "green zone")',
        "near8([rocket*]/[drone*] | [embassy]/[green zone])",
    ),
    ("title:rocket", "title:[rocket]"),
    ("TITLE:rocket", "title:[rocket]"),
    ("title:(a OR b)", "(title:[a] , title:[b])"),
    ('title:"a b"', "title:[a b]"),
    ("source:reuters author:smith link:bbc", "(source:[reuters] & author:[smith] & link:[bbc])"),
    ("title:a NEAR/3 title:b", "near3(title:[a] | title:[b])"),
    ("NOT NOT a", "--[a]"),
]


@pytest.mark.parametrize(("query", "meaning"), MEANINGS)
def test_each_query_means_what_the_rule_language_says(query: str, meaning: str) -> None:
    assert show(parse_query(query)) == meaning


BAD_RULES = [
    ('"abc', "unbalanced quote", 0),
    ('rocket "green zone', "unbalanced quote", 7),
    ('a "b c" d"', "unbalanced quote", 9),
    ("(a OR b", "unbalanced parenthesis", 0),
    ("a OR b)", "unbalanced parenthesis", 6),
    ("((a) OR (b)", "unbalanced parenthesis", 0),
    ("a AND", "dangling operator AND", 2),
    ("AND a", "dangling operator AND", 0),
    ("a OR", "dangling operator OR", 2),
    ("a AND OR b", "dangling operator AND", 2),
    ("(a OR) b", "dangling operator OR", 3),
    ("a -", "dangling operator -", 2),
    ("a NOT", "dangling operator NOT", 2),
    ("a NEAR/10", "NEAR/10 needs a word on each side", 2),
    ("NEAR/5 b", "NEAR/5 needs a word on each side", 0),
    ("a AND NEAR/2 b", "NEAR/2 needs a word on each side", 6),
    ("a NEAR/2 OR b", "NEAR/2 needs a word on each side", 2),
    ("a NEAR b", "NEAR needs a distance", 2),
    ("a NEAR/x b", "NEAR needs a distance", 2),
    ("a NEAR/2 b NEAR/3 c", "NEAR distances differ", 11),
    ("(a b) NEAR/2 c", "NEAR operands must be words, phrases or OR-groups", 6),
    ("(NOT a) NEAR/2 c", "NEAR operands must be words, phrases or OR-groups", 8),
    ("*abc", "leading wildcard", 0),
    ("rocket *abc", "leading wildcard", 7),
    ('"*abc def"~2', "leading wildcard", 1),
    ("*", "bare *", 0),
    ("rocket OR *", "bare *", 10),
    ("ab*", "shorter than 3 characters", 0),
    ("x ab*", "shorter than 3 characters", 2),
    ('"ab* cd"~3', "shorter than 3 characters", 1),
    ("ro*ket", "only allowed at the end", 2),
    ("rock?t", "? wildcards are not supported", 4),
    ("country:iraq", "unknown field country:", 0),
    ("rocket AND place:baghdad", "unknown field place:", 11),
    ("title:summary:x", "field summary: inside field title:", 6),
    ("title:a NEAR/3 b", "same field", 8),
    ("NOT rocket", "matches items without any of its terms", 0),
    ("-rocket", "matches items without any of its terms", 0),
    ("a OR NOT b", "matches items without any of its terms", 5),
    ("rocket OR -football", "matches items without any of its terms", 10),
    ("NOT (a AND b)", "matches items without any of its terms", 0),
    ("", "empty query", 0),
    ("   ", "empty query", 0),
    ('""', "empty phrase", 0),
    ("&&", "has no letters or digits", 0),
    ("a~2", "fuzzy matching", 0),
    ("rocket^2", "boosts", 0),
    ("[a TO b]", "ranges", 0),
    ("a /ro.ket/", "regular expressions", 2),
    ('"a b"~', "proximity needs a distance", 0),
    ('"a b"~2.5', "whole number", 5),
    # the same bad word or phrase is placed where each query has it
    ("x ro*ket", "only allowed at the end", 4),
    ("(x OR y) rock?t", "? wildcards are not supported", 13),
    ('x "ab* cd"~3', "shorter than 3 characters", 3),
    ('x ""', "empty phrase", 2),
    ('(x OR "a rock?t") y', "? wildcards are not supported", 13),
]


@pytest.mark.parametrize(("query", "message", "position"), BAD_RULES)
def test_a_bad_rule_is_refused_with_its_position(query: str, message: str, position: int) -> None:
    with pytest.raises(RuleError) as caught:
        parse_query(query)
    assert message in caught.value.message
    assert caught.value.position == position
    assert caught.value.query == query


def test_the_error_text_names_the_position() -> None:
    with pytest.raises(RuleError, match=r"unbalanced quote at position 14$"):
        parse_query('rocket* AND ( "c-ram OR drone)')


@pytest.mark.parametrize(
    "query",
    ["rocket (NOT football)", "a AND (b OR NOT c)", "NOT (NOT a)", "x -(a OR NOT b)"],
)
def test_a_negation_beside_a_positive_term_is_a_good_rule(query: str) -> None:
    parse_query(query)


def test_terms_keep_their_position_and_label_for_explanations() -> None:
    node = parse_query('rocket AND "Green Zone"')
    assert isinstance(node, And)
    first, second = node.children
    assert isinstance(first, Term) and isinstance(second, Term)
    assert (first.label, first.pos) == ("rocket", 0)
    assert (second.label, second.pos) == ('"green zone"', 11)


def test_or_groups_inside_near_keep_each_alternative() -> None:
    node = parse_query("(rocket* OR drone*) NEAR/5 embassy")
    assert isinstance(node, Near)
    assert [[t.label for t in alts] for alts in node.operands] == [
        ["rocket*", "drone*"],
        ["embassy"],
    ]


def test_or_of_terms_is_not_mistaken_for_near() -> None:
    assert isinstance(parse_query("a OR b"), Or)


def test_parentheses_nested_absurdly_deep_are_a_bad_rule_not_a_crash() -> None:
    query = "(" * 2000 + "rocket" + ")" * 2000

    with pytest.raises(RuleError) as caught:
        parse_query(query)

    assert caught.value.position == 32 and "nested deeper" in caught.value.message


def balance(query: str) -> tuple[str, int] | None:
    try:
        check_balance(query)
    except RuleError as e:
        return e.message, e.position
    return None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab "()* ', max_size=16))
def test_quotes_and_parentheses_are_checked_alike_with_or_without_backslashes(
    query: str,
) -> None:
    # A trailing " \\" changes no quote or parenthesis, but takes the general tokenizer.
    assert balance(query) == balance(query + " \\")
