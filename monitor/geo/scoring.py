"""Where does the story happen? Weigh every resolved mention into one score per country.

A dateline decides unless something much stronger disagrees, or it is a bureau city the item
names nowhere else ("DUBAI (Reuters) - Iran said…"). Specific places (cities, admin areas,
curated places) say more about the scene than country names, and country names more than
demonyms, which usually name actors ("Israeli forces"). A name followed by an actor noun or a
reporting verb ("U.S. Embassy", "Iran-backed", "Moscow said") counts as an actor too. Titles
and first sentences weigh more; a preposition of place, a direction or an attack ("in Baghdad",
"south Beirut", "an attack on Kyiv") adds to a mention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter

from monitor.geo.disambiguate import Mention
from monitor.geo.gazetteer import COUNTRY, DEMONYM, KIND_NAMES, Gazetteer
from monitor.geo.locative import preposition_before, preposition_before_article
from monitor.types import Place

DATELINE_BONUS = 12.0
HUB_DATELINE_WEIGHT = 1.0
TITLE_FACTOR = 2.0
TITLE_LEAD_BONUS = 2.0  # the first place in a headline is usually its subject
FIRST_SENTENCE_FACTOR = 1.5
LOCATIVE_BONUS = 1.5
ACTOR_WEIGHT = 0.75
# "refugees fleeing Darfur", "toys made in China": where people or goods came from, not where
# the story is.
ORIGIN_WEIGHT = 0.75
QUALIFIER_WEIGHT = 1.0
COUNTRY_WEIGHT = 2.0
DEMONYM_WEIGHT = 1.0
SPECIFIC_WEIGHT = 3.0
_GLUE = (" ", "-")  # between a name and the word that makes it an actor
_NEXT_WORD = re.compile(r"[ -]([A-Za-z]+(?:'s)?)")
_FLED_WORDS = r"\b(?:fleeing|fled|flee|flees|escaping|escaped)\b"
_FLED_WORD = re.compile(_FLED_WORDS)
_FLED = re.compile(_FLED_WORDS + r"[^.;:!?]{0,50}$")
# The rest of a clause whose subject is the name: "'s Joint Chiefs of Staff (JCS) said".
_REPORTED = re.compile(
    r"[^,.;:!?]{0,45}?\b(?:said|says|announced|reported|told|confirmed|stated)\b"
)
_POSSESSIVE = ("'s", "’s")
# "'s Joint Chiefs of Staff said": an organ of the country speaks.
_SPEAKS = re.compile(r"['’]s [^,.;:!?]{0,40}?\b(?:said|says|announced|reported|told|stated)\b")
_FIRST_SENTENCE = re.compile(r"[.!?](?:\s+[A-Z\"“]|\s*$)")


def _fled_field(source: str) -> str | None:
    """`source` if it speaks of fleeing or escaping (a substring test before the regex)."""
    if ("fle" in source or "scap" in source) and _FLED_WORD.search(source):
        return source
    return None


def _fled_from(text: str, start: int) -> bool:
    """After "fleeing", "fled", "escaping" in the same clause: where people came from."""
    return _FLED.search(text, max(0, start - 60), start) is not None


def first_sentence_end(text: str, after: int = 0) -> int:
    """Where the first sentence ends (after the dateline, if any)."""
    m = _FIRST_SENTENCE.search(text, after)
    return m.start() + 1 if m else len(text)


def _is_actor(m: Mention, text: str, gaz: Gazetteer) -> bool:
    assert m.chosen is not None
    c = m.chosen
    # Most names are followed by punctuation or a lower-case word that is not an actor noun;
    # the regex runs only after a space or hyphen.
    if c.kind == DEMONYM or text[m.end : m.end + 1] not in _GLUE:
        return False
    following = _NEXT_WORD.match(text, m.end)
    if following is None:
        return False
    word = following.group(1)
    if word.lower() in gaz.actor_nouns:
        return True
    # "Iran Air", "U.S. Central Command": a country glued to a capitalised name is an org.
    return c.kind == COUNTRY and word[0].isupper() and word not in gaz.place_suffixes


def _names_scene(m: Mention, text: str, gaz: Gazetteer) -> bool:
    following = _NEXT_WORD.match(text, m.end)
    return following is not None and following.group(1) in gaz.scene_nouns


def _dateline_weight(
    weight: float, m: Mention, mentions: Sequence[Mention], gaz: Gazetteer, title: str,
    text: str, lead: tuple[int, int],
) -> float:
    """A bureau city whose country the item names nowhere else ("DUBAI (Reuters) - Iran…"), or
    whose country the headline and first sentence name only as a source while they tell of
    another ("SEOUL (Reuters) - North Korea fired…, South Korea's military said"), counts
    little; any other dateline decides. `lead` is the first sentence's span after the
    dateline."""
    assert m.chosen is not None
    country = m.chosen.country
    if m.chosen.name in gaz.dateline_hubs and not any(
        x.chosen.country == country for x in mentions if x.chosen and not x.dateline
    ):
        return HUB_DATELINE_WEIGHT
    if _told_of_elsewhere(country, mentions, gaz, title, text, lead):
        return HUB_DATELINE_WEIGHT
    return weight + DATELINE_BONUS


def _told_of_elsewhere(
    country: str, mentions: Sequence[Mention], gaz: Gazetteer, title: str, text: str,
    lead: tuple[int, int],
) -> bool:
    """The headline (or, when it names no place, the first sentence) tells of another country
    ("North Korea fires …", "… in northern Iraq"), and neither it nor the first sentence names
    the dateline's country as a scene. Runs only for items with a dateline; the cheap test
    first."""
    low, high = lead
    in_title = mentions[0].field == "title"  # title mentions come first
    for x in mentions:
        assert x.chosen is not None
        if in_title and x.field != "title" or not in_title and x.start >= high:
            return False  # nothing tells of another country
        if x.chosen.country == country:
            continue
        if in_title:
            if _tells(x, title, 0):
                break
        elif x.start >= low and _tells(x, text, low):
            break
    else:
        return False
    for x in mentions:
        if x.chosen is None or x.chosen.country != country or x.dateline:
            continue
        if x.field == "title":
            if _scene_use(x, title, gaz):
                return False
        elif lead[0] <= x.start < lead[1] and _scene_use(x, text, gaz):
            return False
    return True


def _tells(m: Mention, source: str, start: int) -> bool:
    """The headline's subject ("North Korea fires …"), or where it says ("… in Iraq")."""
    assert m.chosen is not None
    if m.chosen.kind != DEMONYM and _opens(source, start, m):
        return True
    return start == 0 and m.chosen.kind != DEMONYM and bool(preposition_before(source, m.start))


def _scene_use(m: Mention, source: str, gaz: Gazetteer) -> bool:
    """Not a demonym, an actor ("Seoul says"), a speaker ("South Korea's military said") or a
    party ("US-South Korea drills")."""
    assert m.chosen is not None
    if m.chosen.kind == DEMONYM:
        return source[m.end : m.end + 1] == " " and _names_scene(m, source, gaz)
    if source[m.end : m.end + 1] in _GLUE and _is_actor(m, source, gaz):
        return False
    return not _only_reports(m, source)


def _opens(source: str, start: int, m: Mention) -> bool:
    """The name opens the headline or the sentence after the dateline, as its subject:
    "North Korea fires …", "(LEAD) N. Korea…", "SEOUL (Yonhap) -- North Korea fired …"."""
    before = source[start : m.start]
    dash = max(before.rfind("-"), before.rfind("—"), before.rfind("–"), before.rfind(":"))
    return not any(ch.islower() for ch in before[dash + 1 :])


def _only_reports(m: Mention, text: str) -> bool:
    """A name that only says who reports or takes part: "South Korea's military said",
    "Japan and the U.S. said", "US-South Korea drills"."""
    if text[m.start - 1 : m.start] == "-" or text[m.end : m.end + 1] == "-":
        return True
    return _REPORTED.match(text, m.end) is not None and not preposition_before(text, m.start)


def rank_countries(
    mentions: Sequence[Mention], title: str, text: str, gaz: Gazetteer, after: int = 0,
    places: list[Place] | None = None,
) -> list[tuple[str, float]]:
    """Countries by descending score, ties in order of first appearance. `mentions` are resolved,
    title ones first; `text`'s first sentence starts at `after`. Appends each mention's Place
    to `places` if given. One loop, weights inline: it runs for every mention of every item."""
    scores: dict[str, float] = {}
    first_end = -1  # found only when a text mention needs it
    # A dateline's weight waits until the loop is done: it depends on the other mentions.
    filed: list[tuple[Mention, float]] = []
    lead = mentions[0] if mentions and mentions[0].field == "title" else None
    # The field that speaks of people fleeing, if any (the word test is cheap, the regex not).
    fled_in = _fled_field(text) or _fled_field(title)
    for m in mentions:
        c = m.chosen
        assert c is not None
        if m.field == "title":
            source, factor = title, TITLE_FACTOR
        else:
            source = text
            if first_end < 0:
                first_end = first_sentence_end(text, after)
            factor = FIRST_SENTENCE_FACTOR if m.start < first_end else 1.0
        if m.qualifier:
            w = QUALIFIER_WEIGHT
        elif c.kind == DEMONYM:
            # An actor more often than a scene ("Iraqi forces"), unless a place noun follows
            # ("the Iraqi capital", "a Syrian city").
            w = DEMONYM_WEIGHT
            if source[m.end : m.end + 1] == " " and _names_scene(m, source, gaz):
                w = SPECIFIC_WEIGHT
                if preposition_before(source, m.start) or preposition_before_article(
                    source, m.start
                ):
                    w += LOCATIVE_BONUS
        else:
            w = COUNTRY_WEIGHT if c.kind == COUNTRY else SPECIFIC_WEIGHT
            # The calls only when the next or previous character allows an actor or a locative.
            if source[m.end : m.end + 1] in _GLUE and _is_actor(m, source, gaz):
                w = ACTOR_WEIGHT
            elif source[m.end : m.end + 2] in _POSSESSIVE and _SPEAKS.match(source, m.end):
                w = ACTOR_WEIGHT  # "South Korea's defence ministry said": who speaks
            elif m.start > 2 and source[m.start - 1] == " " and preposition_before(source, m.start):
                w += LOCATIVE_BONUS
        if m.start > 6 and (
            (source is fled_in and _fled_from(source, m.start))
            or (
                source[m.start - 3 : m.start] == "in "
                and source[m.start - 8 : m.start - 3].lower() == "made "
            )
        ):
            w = ORIGIN_WEIGHT
        elif source[m.end : m.end + 1] == "-" and source[m.end : m.end + 5] == "-made":
            w = ORIGIN_WEIGHT  # "Chinese-made toys": where goods come from
        w *= factor
        if m.dateline:
            filed.append((m, w))
            scores.setdefault(c.country, 0.0)  # ties keep the order of first appearance
            w = 0.0
        if m is lead:
            w += TITLE_LEAD_BONUS  # the headline's first place
        scores[c.country] = scores.get(c.country, 0.0) + w
        if places is not None:
            # Place is a frozen dataclass: its __init__ costs one object.__setattr__ per field.
            place = object.__new__(Place)
            place.__dict__.update(
                name=m.surface, country=c.country, start=m.start, end=m.end, field=m.field,
                kind=KIND_NAMES[c.kind],
            )
            places.append(place)
    for m, w in filed:
        assert m.chosen is not None
        # The first sentence after the dateline and its qualifier: (after, first_end).
        scores[m.chosen.country] += _dateline_weight(
            w, m, mentions, gaz, title, text, (after, first_end)
        )
    if len(scores) < 2:
        return list(scores.items())
    return sorted(scores.items(), key=itemgetter(1), reverse=True)  # stable, reversed too
