"""The matching engine: each syntax feature against item text, with the terms that made it true
and the spans they were found at."""

from __future__ import annotations

import pytest

from monitor.rules import Matcher, explain, highlight, mark, parse_query
from monitor.rules.ast import Word, to_nnf
from monitor.rules.compile import trigger_words
from monitor.rules.text import fold
from monitor.types import TermHit


def run(query: str, title: str = "", summary: str = "", **other: str) -> tuple[str, ...] | None:
    """The matched terms, or None when the query does not match."""
    matcher = Matcher.build([parse_query(query)])
    scan = matcher.scan({"title": title, "summary": summary, **other})
    if not matcher.matching(scan):
        return None
    return explain(matcher, 0, scan)[0]


FEATURES = [
    # words: case-insensitive, whole words, no stemming
    ("rocket", "Rocket attack", "", ("rocket",)),
    ("rocket", "ROCKET ATTACK", "", ("rocket",)),
    ("rocket", "Rockets fired", "", None),
    ("iran", "Iranian officials", "", None),
    ("iraq", "Iraq's parliament", "", ("iraq",)),
    ("drone", "a drone-strike on Kyiv", "", ("drone",)),
    ("strike", "a drone-strike on Kyiv", "", ("strike",)),
    ("the", "then they left", "", None),
    ("2024", "In 2024, rockets", "", ("2024",)),
    # folding
    ("zurich", "Talks in Zürich", "", ("zurich",)),
    ("Zürich", "Talks in ZURICH", "", ("zurich",)),
    ("lodz", "Protest in Łódź", "", ("lodz",)),
    ("strasse", "Hauptstraße closed", "", None),
    ("hauptstrasse", "Hauptstraße closed", "", ("hauptstrasse",)),
    ("Hauptstraße", "HAUPTSTRASSE closed", "", ("hauptstrasse",)),
    ("sao paulo", "São Paulo floods", "", ("sao", "paulo")),
    ("iraq", "Iraq’s parliament", "", ("iraq",)),
    # prefixes
    ("rocket*", "Rockets fired", "", ("rocket*",)),
    ("iran*", "Iranian officials", "", ("iran*",)),
    ("iran*", "Iran talks", "", ("iran*",)),
    ("embass*", "the embassy", "", ("embass*",)),
    ("bassy*", "the embassy", "", None),
    # phrases: adjacent, in order, inside one field
    ('"green zone"', "Rockets hit the Green Zone", "", ('"green zone"',)),
    ('"green zone"', "Green party zone", "", None),
    ('"green zone"', "Zone green", "", None),
    ('"green zone"', "green", "zone", None),
    ('"green zone"', "", "the green-zone gate", ('"green zone"',)),
    ("C-RAM", "C-RAM fired", "", ("c-ram",)),
    ("C-RAM", "c ram fired", "", ("c-ram",)),
    ("C-RAM", "ram c", "", None),
    ('"c-ram"', "C RAM", "", ('"c-ram"',)),
    ('"rocket* attack*"', "Rockets attacked", "", ('"rocket* attack*"',)),
    ('"new york"', "New New York", "", ('"new york"',)),
    # boolean
    ("rocket AND embassy", "rocket", "near the embassy", ("rocket", "embassy")),
    ("rocket embassy", "rocket", "", None),
    ("rocket OR missile", "missile fired", "", ("missile",)),
    ("rocket OR missile", "rocket and missile", "", ("rocket", "missile")),
    ("rocket NOT football", "rocket", "", ("rocket",)),
    ("rocket NOT football", "rocket", "football", None),
    ("rocket -football", "football rocket", "", None),
    ("+rocket +attack", "rocket attack", "", ("rocket", "attack")),
    ("rocket (NOT football)", "rocket launch", "", ("rocket",)),
    ("(a AND b) OR c", "a c", "", ("c",)),
    ("a b OR c", "c", "", ("c",)),
    ("a b OR c", "a", "", None),
    ("a OR b c", "a", "", ("a",)),
    ("x -(a OR b)", "x b", "", None),
    ("x -(a b)", "x a", "", ("x",)),
    ("x -(a b)", "x a b", "", None),
    ("x AND NOT NOT y", "x y", "", ("x", "y")),
    ("x AND NOT NOT y", "x", "", None),
    # operators are upper-case only
    ("rocket and embassy", "rocket embassy", "", None),
    ("rocket and embassy", "rocket and embassy", "", ("rocket", "and", "embassy")),
    # fields
    ("title:rocket", "rocket", "", ("rocket",)),
    ("title:rocket", "", "rocket", None),
    ("summary:rocket", "", "rocket", ("rocket",)),
    ("title:(a OR b)", "b", "a", ("b",)),
    ('title:"a b"', "a b", "", ('"a b"',)),
    ('title:"a b"', "", "a b", None),
    ("source:reuters rocket", "rocket", "", None),
    ("author:smith", "smith", "smith", None),
    # proximity: any order, at most N words between
    ('"rocket embassy"~2', "rocket hit the embassy", "", ("rocket", "embassy")),
    ('"rocket embassy"~1', "rocket hit the embassy", "", None),
    ('"rocket embassy"~2', "embassy was hit by rocket", "", None),
    ('"rocket embassy"~3', "embassy was hit by rocket", "", ("rocket", "embassy")),
    ('"rocket embassy"~0', "embassy rocket", "", ("rocket", "embassy")),
    ("rocket NEAR/2 embassy", "rocket hit the embassy", "", ("rocket", "embassy")),
    ("rocket NEAR/1 embassy", "rocket hit the embassy", "", None),
    ("rocket NEAR/3 embassy", "rocket", "embassy", None),
    ("rocket NEAR/3 rocket", "rocket only", "", None),
    ("rocket NEAR/3 rocket", "rocket and rocket", "", ("rocket",)),
    ('"a b c"~1', "c x a b", "", ("a", "b", "c")),
    ('"a b c"~1', "c x a y b", "", None),
    ("a NEAR/1 b NEAR/1 c", "b a x c", "", ("a", "b", "c")),
    ("rocket* NEAR/5 embass*", "Rockets landed near the embassies", "", ("rocket*", "embass*")),
    (
        '(rocket* OR drone*) NEAR/8 (embassy OR "green zone")',
        "Drones circled over the Green Zone",
        "",
        ("drone*", '"green zone"'),
    ),
    (
        '(rocket* OR drone*) NEAR/2 (embassy OR "green zone")',
        "rocket fell one two three km from the green zone",
        "",
        None,
    ),
    ('"green zone" NEAR/1 attack', "attack on green zone", "", ('"green zone"', "attack")),
    ("x (a NEAR/1 b)", "x b a", "", ("x", "a", "b")),
    ("title:a NEAR/1 title:b", "a b", "", ("a", "b")),
    ("title:a NEAR/1 title:b", "", "a b", None),
]


@pytest.mark.parametrize(("query", "title", "summary", "terms"), FEATURES)
def test_each_syntax_feature_matches_as_documented(
    query: str, title: str, summary: str, terms: tuple[str, ...] | None
) -> None:
    assert run(query, title, summary) == terms


def test_source_author_and_link_fields_are_searched_when_a_rule_names_them() -> None:
    assert run("source:reuters rocket", "rocket", source="Reuters World") == (
        "reuters",
        "rocket",
    )
    assert run("author:smith", author="Jane Smith") == ("smith",)
    assert run('link:"bbc co uk"', link="https://www.bbc.co.uk/news/1") == ('"bbc co uk"',)


def spans(query: str, title: str = "", summary: str = "") -> list[tuple[str, str, str]]:
    matcher = Matcher.build([parse_query(query)])
    scan = matcher.scan({"title": title, "summary": summary})
    assert matcher.matching(scan) == [0]
    _, hits = explain(matcher, 0, scan)
    text = {"title": title, "summary": summary}
    return [(h.term, h.field, text[h.field][h.start : h.end]) for h in hits]


@pytest.mark.parametrize(
    ("query", "title", "summary", "expected"),
    [
        ("rocket*", "Rockets fell", "", [("rocket*", "title", "Rockets")]),
        ("zurich", "In Zürich today", "", [("zurich", "title", "Zürich")]),
        (
            "hauptstrasse x",
            "Die Hauptstraße, x",
            "",
            [("hauptstrasse", "title", "Hauptstraße"), ("x", "title", "x")],
        ),
        ("zurich", "Zu\u0308rich!", "", [("zurich", "title", "Zu\u0308rich")]),
        ('"green zone"', "", "hit the Green-Zone.", [('"green zone"', "summary", "Green-Zone")]),
        ("c-ram", "C-RAM fired", "", [("c-ram", "title", "C-RAM")]),
        ("iraq", "Iraq’s Iraq", "", [("iraq", "title", "Iraq"), ("iraq", "title", "Iraq")]),
        (
            "rocket NEAR/2 embassy",
            "embassy far far far rocket",
            "The rocket hit an embassy",
            [("rocket", "summary", "rocket"), ("embassy", "summary", "embassy")],
        ),
    ],
)
def test_hits_are_spans_of_the_original_field_text(
    query: str, title: str, summary: str, expected: list[tuple[str, str, str]]
) -> None:
    assert spans(query, title, summary) == expected


def test_terms_under_a_false_branch_or_a_negation_are_not_reported() -> None:
    assert spans("(a AND b) OR c NOT d", "a c", "") == [("c", "title", "c")]


def test_one_matcher_serves_many_rules_that_share_words() -> None:
    queries = ["rocket*", "rocket", '"rocket attack"', "attack NOT rocket", "embassy"]
    matcher = Matcher.build([parse_query(q) for q in queries])
    scan = matcher.scan({"title": "Rocket attack", "summary": ""})
    assert matcher.matching(scan) == [0, 1, 2]
    scan = matcher.scan({"title": "Rockets attack", "summary": "embassy"})
    assert matcher.matching(scan) == [0, 3, 4]


def test_a_rule_is_only_triggered_by_a_word_it_needs() -> None:
    and_rule = to_nnf(parse_query("baghdad AND (rocket OR missile) AND NOT football"))
    assert trigger_words(and_rule) == frozenset({Word("baghdad")})
    or_rule = to_nnf(parse_query("rocket OR missile*"))
    assert trigger_words(or_rule) == frozenset({Word("rocket"), Word("missile", prefix=True)})
    phrase = to_nnf(parse_query('"in the green zone"'))
    assert trigger_words(phrase) == frozenset({Word("green")})


def test_an_empty_item_matches_nothing() -> None:
    matcher = Matcher.build([parse_query("rocket")])
    assert matcher.matching(matcher.scan({})) == []


def test_a_pathological_repetition_stays_fast_and_correct() -> None:
    text = " ".join(["rocket"] * 3000) + " embassy"
    assert run("rocket NEAR/2 rocket NEAR/2 embassy", "", text) == ("rocket", "embassy")
    assert run("rocket NEAR/2 rocket NEAR/2 zone", "", text) is None


def test_highlight_styles_only_the_hits_of_the_field() -> None:
    hits = [TermHit("rocket*", "title", 0, 7), TermHit("x", "summary", 0, 1)]
    text = highlight("Rockets fell", hits, "title")
    assert text.plain == "Rockets fell"
    assert [(s.start, s.end) for s in text.spans] == [(0, 7)]


def test_mark_wraps_hits_and_merges_overlaps() -> None:
    hits = [TermHit("a", "title", 0, 3), TermHit("b", "title", 2, 5), TermHit("c", "title", 8, 9)]
    assert mark("abcdefghij", hits, "title") == "[abcde]fgh[i]j"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Zürich", "zurich"),
        ("ŁÓDŹ", "lodz"),
        ("Straße", "strasse"),
        ("Iraq’s drone-strike", "iraq s drone strike"),
        ("Æsir Øresund", "aesir oresund"),
        ("İstanbul", "istanbul"),
        ("a_b", "a b"),
        ("Киев", "киев"),
    ],
)
def test_folding_casefolds_and_flattens_latin_letters(text: str, folded: str) -> None:
    assert fold(text).text == folded


def test_folding_maps_every_folded_offset_back_to_the_original() -> None:
    original = "Die Straße, ﬁnal Zu\u0308rich"
    folded = fold(original)
    assert folded.text == "die strasse  final zurich"
    assert original[slice(*folded.span(4, 11))] == "Straße"
    assert original[slice(*folded.span(13, 18))] == "ﬁnal"
    assert original[slice(*folded.span(19, 25))] == "Zu\u0308rich"
