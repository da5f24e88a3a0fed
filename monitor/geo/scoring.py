"""Where does the story happen? Weigh every resolved mention into one score per country.

A dateline decides unless something much stronger disagrees. Specific places (cities, admin
areas, curated places) say more about the scene than country names, and country names more
than demonyms, which usually name actors ("Iranian-backed", "Israeli forces"). A country name
followed by an actor noun ("U.S. Embassy", "Iran-backed") or a capital followed by a reporting
verb ("Moscow said") counts as an actor too. Titles and first sentences weigh more, and a
locative preposition ("in Baghdad", "near Kharkiv") adds to a mention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.geo.disambiguate import Mention
from monitor.geo.gazetteer import CAPITAL, CITY, COUNTRY, DEMONYM, Gazetteer

DATELINE_BONUS = 12.0
TITLE_FACTOR = 2.0
FIRST_SENTENCE_FACTOR = 1.5
LOCATIVE_BONUS = 1.5
ACTOR_WEIGHT = 0.75
QUALIFIER_WEIGHT = 1.0
_KIND_WEIGHT = {COUNTRY: 2.0, DEMONYM: 1.0}
SPECIFIC_WEIGHT = 3.0
_LOCATIVE = re.compile(
    r"\b(?:in|at|near|outside|inside|across|around|into|throughout|within)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_FOLLOWING = re.compile(r"[\s\-]+([A-Za-z]+)")


def first_sentence_end(text: str, after: int = 0) -> int:
    """Where the first sentence ends (after the dateline, if any)."""
    m = re.search(r"[.!?](?:\s+[A-Z\"“]|\s*$)", text[after:])
    return after + m.start() + 1 if m else len(text)


def mention_weight(m: Mention, text: str, gaz: Gazetteer, first_end: int) -> float:
    assert m.chosen is not None
    c = m.chosen
    weight = SPECIFIC_WEIGHT if c.kind not in _KIND_WEIGHT else _KIND_WEIGHT[c.kind]
    if m.qualifier:
        weight = QUALIFIER_WEIGHT
    elif _is_actor(m, text, gaz):
        weight = ACTOR_WEIGHT
    elif c.kind != DEMONYM and _LOCATIVE.search(text, max(0, m.start - 20), m.start):
        weight += LOCATIVE_BONUS
    if m.field == "title":
        weight *= TITLE_FACTOR
    elif m.start < first_end:
        weight *= FIRST_SENTENCE_FACTOR
    if m.dateline:
        weight += DATELINE_BONUS
    return weight


def _is_actor(m: Mention, text: str, gaz: Gazetteer) -> bool:
    assert m.chosen is not None
    c = m.chosen
    is_capital = c.kind == CITY and bool(c.flags & CAPITAL)
    if c.kind != COUNTRY and not is_capital:
        return False
    nxt = _FOLLOWING.match(text, m.end)
    if nxt is None:
        return False
    word = nxt.group(1)
    if word.lower() in gaz.actor_nouns:
        return True
    # "Iran Air", "U.S. Central Command": a country glued to a capitalised name is an org.
    return c.kind == COUNTRY and word[0].isupper() and word not in gaz.place_suffixes


def rank_countries(
    mentions: Sequence[Mention], texts: dict[str, str], gaz: Gazetteer, first_end: int
) -> list[tuple[str, float]]:
    """Countries by descending score; ties keep the order of first appearance."""
    scores: dict[str, float] = {}
    for m in mentions:
        assert m.chosen is not None
        end = first_end if m.field == "text" else 0
        w = mention_weight(m, texts[m.field], gaz, end)
        scores[m.chosen.country] = scores.get(m.chosen.country, 0.0) + w
    order = {country: i for i, country in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
