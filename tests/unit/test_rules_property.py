"""The engine agrees with a slow, obviously-correct reference evaluator on random queries and
texts. Queries are generated as structures, rendered to query text for the engine, and
evaluated directly by the reference on naively tokenised text."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import RuleError
from monitor.rules import Matcher, explain, parse_query
from monitor.rules.explain import _Planner
from monitor.rules.scan import Scan
from monitor.rules.text import fold

QUERY_WORDS = ["rocket", "embassy", "green", "zone", "zurich", "strasse", "drone", "x"]
PREFIXES = ["rock", "emb", "gre", "zur", "str", "dro"]
TEXT_WORDS = [
    "rocket", "Rockets", "ROCKET", "embassy", "Embassies", "green", "Zone", "zone",
    "Zürich", "zurich", "Straße", "strasse", "drone", "drones", "x", "X", "zoned",
]  # fmt: skip
SEPARATORS = [" ", " ", ", ", "-", "'s ", "’", " — ", ". "]
FIELDS = [None, None, None, "title", "summary"]

Q = Any  # a query structure: nested tuples, see the strategies below


# ---- the reference -----------------------------------------------------------------------


def ref_tokens(text: str) -> list[str]:
    folded = text.replace("ß", "ss").replace("ü", "u").replace("Ü", "U").lower()
    return re.findall(r"[a-z0-9]+", folded)


def word_matches(word: tuple[str, bool], token: str) -> bool:
    text, prefix = word
    return token.startswith(text) if prefix else token == text


def phrase_starts(words: tuple[tuple[str, bool], ...], tokens: list[str]) -> list[int]:
    return [
        i
        for i in range(len(tokens) - len(words) + 1)
        if all(word_matches(w, tokens[i + j]) for j, w in enumerate(words))
    ]


def near_holds(operands: list[list[tuple[int, int]]], slop: int) -> bool:
    """Some choice of one span per operand, pairwise disjoint, with at most `slop` words
    inside their extent that none of them covers."""
    for choice in itertools.product(*operands):
        covered = [t for first, last in choice for t in range(first, last + 1)]
        if len(covered) != len(set(covered)):
            continue
        if max(covered) - min(covered) + 1 - len(covered) <= slop:
            return True
    return False


def leaf_holds(leaf: Q, tokens: list[str]) -> bool:
    kind = leaf[0]
    if kind == "word":
        return any(word_matches(leaf[1], t) for t in tokens)
    if kind == "phrase":
        return bool(phrase_starts(leaf[1], tokens))
    if kind == "prox":
        operands = [[(i, i) for i, t in enumerate(tokens) if word_matches(w, t)] for w in leaf[1]]
        return near_holds(operands, leaf[2])
    operands = [
        [(s, s + len(words) - 1) for words in alternatives for s in phrase_starts(words, tokens)]
        for alternatives in leaf[1]
    ]
    return near_holds(operands, leaf[2])


def reference(query: Q, item: dict[str, list[str]]) -> bool:
    kind = query[0]
    if kind == "and":
        return reference(query[1], item) and reference(query[2], item)
    if kind == "or":
        return reference(query[1], item) or reference(query[2], item)
    if kind == "not":
        return not reference(query[1], item)
    fields = [query[-1]] if query[-1] else ["title", "summary"]
    return any(leaf_holds(query, item[f]) for f in fields)


# ---- rendering to query text ---------------------------------------------------------------


def render_word(word: tuple[str, bool]) -> str:
    return word[0] + ("*" if word[1] else "")


def render_quoted(words: tuple[tuple[str, bool], ...]) -> str:
    return '"' + " ".join(render_word(w) for w in words) + '"'


def with_field(text: str, field: str | None) -> str:
    return f"{field}:{text}" if field else text


def render(query: Q) -> str:
    kind = query[0]
    if kind == "and":
        return f"({render(query[1])}{query[3]}{render(query[2])})"
    if kind == "or":
        return f"({render(query[1])} OR {render(query[2])})"
    if kind == "not":
        return f"(NOT {render(query[1])})" if query[2] else f"-{render(query[1])}"
    if kind == "word":
        return with_field(render_word(query[1]), query[2])
    if kind == "phrase":
        return with_field(render_quoted(query[1]), query[2])
    if kind == "prox":
        return with_field(f"{render_quoted(query[1])}~{query[2]}", query[3])
    chain = f" NEAR/{query[2]} ".join(map(render_operand, query[1]))
    return with_field(f"({chain})", query[3])


def render_operand(alternatives: tuple[tuple[tuple[str, bool], ...], ...]) -> str:
    rendered = [render_word(a[0]) if len(a) == 1 else render_quoted(a) for a in alternatives]
    return rendered[0] if len(rendered) == 1 else "(" + " OR ".join(rendered) + ")"


# ---- strategies ------------------------------------------------------------------------------

words = st.one_of(
    st.tuples(st.sampled_from(QUERY_WORDS), st.just(False)),
    st.tuples(st.sampled_from(PREFIXES), st.just(True)),
)
phrases = st.lists(words, min_size=2, max_size=3).map(tuple)
fields = st.sampled_from(FIELDS)
slops = st.integers(min_value=0, max_value=3)
alternatives = st.lists(st.one_of(words.map(lambda w: (w,)), phrases), min_size=1, max_size=2)
leaves = st.one_of(
    st.tuples(st.just("word"), words, fields),
    st.tuples(st.just("phrase"), phrases, fields),
    st.tuples(st.just("prox"), phrases, slops, fields),
    st.tuples(
        st.just("near"),
        st.lists(alternatives.map(tuple), min_size=2, max_size=3).map(tuple),
        slops,
        fields,
    ),
)


def extend(children: st.SearchStrategy[Q]) -> st.SearchStrategy[Q]:
    return st.one_of(
        st.tuples(st.just("and"), children, children, st.sampled_from([" AND ", " "])),
        st.tuples(st.just("or"), children, children),
        st.tuples(st.just("not"), children, st.booleans()),
    )


queries = st.recursive(leaves, extend, max_leaves=5)
texts = st.lists(
    st.tuples(st.sampled_from(TEXT_WORDS), st.sampled_from(SEPARATORS)), max_size=10
).map(lambda parts: "".join(w + s for w, s in parts))

EMPTY: dict[str, list[str]] = {"title": [], "summary": []}


@settings(max_examples=150, deadline=None)
@given(query=queries, title=texts, summary=texts)
def test_the_engine_agrees_with_the_reference(query: Q, title: str, summary: str) -> None:
    text = render(query)
    if reference(query, EMPTY):
        with pytest.raises(RuleError):
            parse_query(text)
        return
    matcher = Matcher.build([parse_query(text)])
    scan = matcher.scan({"title": title, "summary": summary})
    item = {"title": ref_tokens(title), "summary": ref_tokens(summary)}
    assert bool(matcher.matching(scan)) == reference(query, item), text


@settings(max_examples=40, deadline=None)
@given(batch=st.lists(queries, min_size=2, max_size=6), title=texts, summary=texts)
def test_rules_compiled_together_match_as_each_would_alone(
    batch: list[Q], title: str, summary: str
) -> None:
    valid = [q for q in batch if not reference(q, EMPTY)]
    matcher = Matcher.build([parse_query(render(q)) for q in valid])
    item = {"title": ref_tokens(title), "summary": ref_tokens(summary)}
    expected = [i for i, q in enumerate(valid) if reference(q, item)]
    assert matcher.matching(matcher.scan({"title": title, "summary": summary})) == expected


def compile_and_scan(query: Q, title: str, summary: str) -> tuple[Matcher, Scan] | None:
    """The one-rule matcher for `query` and its scan of the item; None for a query the engine
    rejects (one that would match every item)."""
    if reference(query, EMPTY):
        return None
    matcher = Matcher.build([parse_query(render(query))])
    return matcher, matcher.scan({"title": title, "summary": summary})


@settings(max_examples=60, deadline=None)
@given(query=queries, title=texts, summary=texts)
def test_every_hit_is_a_span_of_whole_words_in_the_original(
    query: Q, title: str, summary: str
) -> None:
    compiled = compile_and_scan(query, title, summary)
    if compiled is None:
        return
    matcher, scan = compiled
    if not matcher.matching(scan):
        return
    source = {"title": title, "summary": summary}
    terms, hits = explain(matcher, 0, scan)
    assert terms and hits
    for hit in hits:
        text = source[hit.field]
        assert fold(text[hit.start : hit.end]).text.strip()
        assert hit.start == 0 or not text[hit.start - 1].isalnum()
        assert hit.end == len(text) or not text[hit.end].isalnum()


word_queries = st.recursive(
    st.tuples(st.just("word"), words, st.just(None)),
    lambda children: st.one_of(
        st.tuples(st.just("and"), children, children, st.sampled_from([" AND ", " "])),
        st.tuples(st.just("or"), children, children),
        st.tuples(st.just("not"), children, st.booleans()),
    ),
    max_leaves=5,
)


@settings(max_examples=200, deadline=None)
@given(query=word_queries, title=texts, summary=texts)
def test_word_rules_are_explained_as_the_general_plan_explains_them(
    query: Q, title: str, summary: str
) -> None:
    compiled = compile_and_scan(query, title, summary)
    if compiled is None:
        return
    matcher, scan = compiled
    general = _Planner(matcher).plan(matcher.nnf[0]).explain(scan, matcher.fields)
    assert explain(matcher, 0, scan) == general
