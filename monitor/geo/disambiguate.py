"""Decide what each matched name refers to (pure functions over one item's mentions).

The steps, in order: letter case, person-name context, "City, State" binding, then a choice
among the remaining candidates using the countries that the item's *other* names establish
("anchors") and population priors. Weak names (common words, first names, small towns) survive
only with support: a dateline, a binding, their country named elsewhere in the item, or a
lower-case "in"/"near" before them when nothing in the item points elsewhere. In a title-case
headline every word is capitalised, so weak readings there are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.geo.gazetteer import (
    ABBREV,
    ACTOR,
    ADMIN,
    BOUND_ONLY,
    CITY,
    COUNTRY,
    DEMONYM,
    EXACT,
    PLACE,
    WEAK,
    Candidate,
    Gazetteer,
    person_sensitive,
)
from monitor.geo.locative import preposition_before

# A much bigger namesake beats an anchored small town ("Paris" in a U.S. story is still France).
DWARFED_RATIO = 50
_NAME_AFTER = re.compile(r" ([A-Z][a-z]+)\b")
_NAME_BEFORE = re.compile(r"(?<![\w.])([A-Z][a-z]+) $")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_SENTENCE_ENDS = frozenset(".!?:;|\"“”'‘’—–(")
_BINDING_GAP = re.compile(r",\s{1,2}")
_NEARBY_GAP = re.compile(
    r",\s{1,2}(?:(?:about|some|just|roughly|around)\s)?"
    r"(?:\d[\d,.]*\s?(?:km|kilometres|kilometers|miles|mi)\s)?"
    r"(?:(?:north|south|east|west)(?:-?(?:east|west))?(?:ern)?\s+of|near|outside)\s(?:the\s)?"
)
_FLAG_USE = re.compile(r"[\s-](?:flagged|registered)\b")
_LANGUAGE_USE = re.compile(
    r"[\s-](?:speaking|speakers?|language|languages|dubbed|version|translation|subtitles|"
    r"subtitled|edition|translated)\b"
)
_QUALIFIER_KINDS = (COUNTRY, ADMIN, ABBREV, PLACE)
_OF_NAME = frozenset((" de ", " do ", " da ", " di ", " du "))
_DIVISION_AFTER = re.compile(
    r" (?:[Pp]rovince|[Rr]egion|[Ss]tate|[Gg]overnorate|[Oo]blast|[Pp]refecture|[Dd]epartment"
    r"|[Dd]istrict)\b"
)
SEVERAL = -2  # in anchors(): a country that more than one name anchors


@dataclass(slots=True)
class Mention:
    """A name found in one field, with what it may still mean."""

    field: str
    start: int
    end: int
    surface: str
    candidates: tuple[Candidate, ...]
    dateline: bool = False
    bound: bool = False
    qualifier: bool = False
    chosen: Candidate | None = None
    sensitive: bool = False  # may be read as part of a person's or an organisation's name
    situated: bool = False  # after a lower-case preposition of place: "in Nice"
    weak: bool = False  # some reading needs support (see WEAK)
    name: int = -1  # the automaton pattern: mentions of one name share it


def case_allows(surface: str, candidate: Candidate) -> bool:
    """Proper names need a capital; exact forms ("US") must be written exactly so."""
    if candidate.flags & EXACT:
        return surface.rstrip(".") == candidate.name.rstrip(".")
    return surface[:1].isupper() or candidate.name[:1].islower()


def is_title_case(text: str) -> bool:
    words = [w for w in text.split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and len([w for w in words if w[0].isupper()]) >= 0.8 * len(words)


def _name_follows(m: Mention, after: str, gaz: Gazetteer, others: list[Mention]) -> bool:
    """A given name glued to a capitalised word `after` that is neither a place word nor a
    place ("Jordan Peterson", "Chad Smith"). Any other place there heads an organisation or a
    facility named after it ("Muscat International Film Festival", "Kentucky Department of
    Education"): still the place."""
    if after in gaz.place_suffixes or m.surface not in gaz.given_names:
        return False
    # "Hassan Ali Qassir": a first name before another first name, even one that is a place;
    # "Vladimir Putin": before a leader's name, which is no place.
    return after in gaz.given_names or not any(
        x.start == m.end + 1 and not _is_actor_name(x) for x in others
    )


def _is_actor_name(m: Mention) -> bool:
    """Every reading is an institution or a leader ("Putin"): a name, not a place."""
    return all(c.kind == ACTOR for c in m.candidates)


def _word_after(m: Mention, text: str) -> str | None:
    """The capitalised word glued to the mention's end, if any ("Muscat International")."""
    if not text[m.end + 1 : m.end + 2].isupper():
        return None
    after = _NAME_AFTER.match(text, m.end)
    return after.group(1) if after else None


def _name_precedes(m: Mention, text: str, gaz: Gazetteer, others: list[Mention]) -> bool:
    """A surname: a capitalised name word right before the place, mid-sentence or a known
    given name ("Defense Secretary Lloyd Austin", "Lewis Hamilton"). A capital that only
    starts the sentence says nothing ("Abducted California woman found")."""
    # Cheap character tests first; the regex runs only when a capital ends the word before,
    # and the scan for a neighbouring place name only when the regex finds a name word.
    if m.start < 3 or text[m.start - 1] != " " or not text[m.start - 2].islower():
        return False
    window = max(0, m.start - 30)
    if not text[window : m.start - 1].rstrip(_LOWER)[-1:].isupper():
        return False
    before = _NAME_BEFORE.search(text, window, m.start)
    if before is None or before.group(1) in gaz.place_prefixes:
        return False
    word_start = before.start(1)
    starts_sentence = word_start == 0 or text[:word_start].rstrip()[-1:] in _SENTENCE_ENDS
    if starts_sentence and before.group(1) not in gaz.given_names:
        return False
    return not any(x.end == m.start - 1 and not _is_actor_name(x) for x in others)


def drop_language_uses(mentions: list[Mention], text: str) -> list[Mention]:
    """'English-speaking', 'French-language': a language, not a country; 'Liberia-flagged',
    'Panamanian-registered': a ship's flag, not where it is."""
    return [m for m in mentions if not _language_or_flag(m, text)]


def _language_or_flag(m: Mention, text: str) -> bool:
    if text[m.end : m.end + 1] not in (" ", "-"):
        return False
    kind = m.candidates[0].kind
    if kind == DEMONYM and _LANGUAGE_USE.match(text, m.end):
        return True
    return kind in (DEMONYM, COUNTRY) and _FLAG_USE.match(text, m.end) is not None


def person_words(mentions: list[Mention], text: str, gaz: Gazetteer) -> set[str]:
    """Surnames seen in a person context ("Lloyd Austin"), so that a later bare "Austin"
    in the same item is the person too. A name that heads a river's or a street's ("the
    Tijuana River") loses its readings there only: a later bare "Tijuana" is the city."""
    people = set()
    for m in mentions:
        if not m.sensitive or m.dateline:
            continue
        after = _word_after(m, text)
        if after is not None and after in gaz.feature_nouns:
            # A river or street named after a place: "the Guadalupe River" is not the city.
            m.candidates = ()  # drop_people() drops it
        elif (after is not None and _name_follows(m, after, gaz, mentions)) or _name_precedes(
            m, text, gaz, mentions
        ):
            people.add(m.surface)
    return people


def drop_weak(mentions: list[Mention]) -> list[Mention]:
    """Only the strong readings of each mention (for title-case headlines), but what a
    "City, State" pair bound."""
    kept = []
    for m in mentions:
        if m.weak and not (m.bound or m.qualifier):
            m.candidates = tuple(c for c in m.candidates if not c.flags & WEAK)
            m.weak = False
        if m.candidates:
            kept.append(m)
    return kept


def drop_people(mentions: list[Mention], people: set[str]) -> list[Mention]:
    """Person-sensitive readings of the `people` names go; so do mentions left with none."""
    kept = []
    for m in mentions:
        if m.sensitive and m.surface in people and m.candidates:
            m.candidates = tuple(c for c in m.candidates if not person_sensitive(c))
        if m.candidates:
            kept.append(m)
    return kept


def bind_pairs(mentions: Sequence[Mention], text: str, towns: set[int]) -> None:
    """'Paris, Texas', 'London, Ontario', 'KYIV, Ukraine': the qualifier picks the city; so
    does a neighbour ('Edmonton, south of Cairns'). Adds to `towns` the names found to be towns
    the gazetteer does not know."""
    for m, q in zip(mentions, mentions[1:], strict=False):
        if text[m.end : m.end + 1] != ",":
            continue
        if not _BINDING_GAP.fullmatch(text, m.end, q.start):
            if _NEARBY_GAP.fullmatch(text, m.end, q.start):
                _bind_nearby(m, q, towns)
            continue
        if not any(c.kind in (CITY, ADMIN, PLACE) for c in m.candidates):
            continue
        qualifier = {c.country: c.admin for c in q.candidates if c.kind in _QUALIFIER_KINDS}
        inside = [c for c in m.candidates if c.country in qualifier and c.kind != COUNTRY]
        if not inside:
            if _unknown_town(m, q):
                # "EDMONTON, Ky.": a town too small for the gazetteer; its state says where.
                m.candidates = ()
                towns.add(m.name)
                q.qualifier = True
                q.dateline = q.dateline or m.dateline
            continue
        same_admin = [c for c in inside if c.admin and c.admin == qualifier[c.country]]
        m.candidates = tuple(same_admin or inside)
        m.bound = True
        countries = {c.country for c in m.candidates}
        q.candidates = tuple(c for c in q.candidates if c.country in countries)
        q.qualifier = True


def _bind_nearby(m: Mention, q: Mention, towns: set[int]) -> None:
    """'Edmonton, south of Cairns', 'Kibeho, 30 km east of Butare': a place said to lie near
    another lies in its country. A name with no reading there is a town the gazetteer lacks:
    it is dropped (added to `towns`) and its neighbour says where."""
    countries = {c.country for c in q.candidates if c.kind != DEMONYM}
    if len(countries) != 1 or not any(c.kind in (CITY, ADMIN) for c in m.candidates):
        return
    inside = [c for c in m.candidates if c.country in countries]
    if inside:
        m.candidates = tuple(inside)
        m.bound = True
    elif not any(c.kind in (COUNTRY, PLACE) for c in m.candidates):
        m.candidates = ()
        towns.add(m.name)
    q.bound = True


def _unknown_town(m: Mention, q: Mention) -> bool:
    """Is `m` a place the gazetteer does not know, qualified by its state or country `q`?
    Only for a state's dotted abbreviation ("Glasgow, Ky."), or another state or country
    name after a dateline town or a small one ("EDMONTON, Kentucky —", "Innisfail,
    Alberta"): a list such as "Moscow, Ukraine and the U.S." must keep Moscow."""
    if any(c.kind in (COUNTRY, PLACE) for c in m.candidates):
        return False
    if any(c.kind == ABBREV and c.name.endswith(".") for c in q.candidates):
        return True  # "Ky.", "N.S.W."; a bare "CA" may be Canada: "Montreal, CA"
    if any(c.kind == CITY for c in q.candidates):
        return False
    return m.dateline or all(c.flags & WEAK for c in m.candidates)


def drop_actors_beside_places(mentions: list[Mention]) -> list[Mention]:
    """National institutions and leaders ("Gardai", "RBI", "Modi") say where a story is only
    when it names no place: then they are all there is."""
    kept = [m for m in mentions if m.chosen is None or m.chosen.kind != ACTOR]
    return kept if kept else mentions


def drop_towns(mentions: list[Mention], towns: set[int]) -> list[Mention]:
    """Every mention of an unknown town's name: "LONDON, Ky. - London Police said…"."""
    return [m for m in mentions if m.name not in towns]


def anchor_country(m: Mention) -> str | None:
    """The country a mention establishes without doubt, if any: its strong readings all lie in
    one country ("Melbourne": Australia, though a small Florida town shares the name), or all
    its readings do when it is bound or in the dateline."""
    if m.bound or m.dateline or m.qualifier:
        countries = {c.country for c in m.candidates}
    else:
        countries = {c.country for c in m.candidates if not c.flags & (WEAK | BOUND_ONLY)}
    return next(iter(countries)) if len(countries) == 1 else None


def anchors(mentions: Iterable[Mention]) -> dict[str, int]:
    """Each anchored country → the one name (automaton pattern) that anchors it, or SEVERAL."""
    by_country: dict[str, int] = {}
    for m in mentions:
        cands = m.candidates
        if len(cands) == 1 and not cands[0].flags & (WEAK | BOUND_ONLY):
            country: str | None = cands[0].country  # the common case, without a set
        else:
            country = anchor_country(m)
        if country is not None and by_country.setdefault(country, m.name) != m.name:
            by_country[country] = SEVERAL
    return by_country


def choose(m: Mention, anchored: set[str]) -> Candidate | None:
    """The best reading of one mention, or None when a weak name has no support."""
    tied = m.bound or m.qualifier
    if len(m.candidates) == 1:
        only = m.candidates[0]
        if only.flags & BOUND_ONLY and not tied:
            return None
        situated = m.situated and not anchored  # "in Maga" in a Nigerian story is not Cameroon
        supported = tied or m.dateline or situated or only.country in anchored
        return only if supported or not only.flags & WEAK else None
    usable = [c for c in m.candidates if tied or not c.flags & BOUND_ONLY]
    if not usable:
        return None
    strong = [c for c in usable if not c.flags & WEAK]
    in_context = [c for c in usable if c.country in anchored]
    if m.dateline and not tied and strong:
        return best(strong)  # agencies file from big cities: "AMSTERDAM (Reuters)" is not NY
    if in_context:
        pick = best(in_context)
        rival = best(strong) if strong else pick
        dwarfed = rival.population > DWARFED_RATIO * max(pick.population, 1)
        return rival if dwarfed and rival.kind == pick.kind else pick
    if m.bound or m.dateline or m.qualifier or (m.situated and not anchored):
        return best(usable)
    return best(strong) if strong else None


def best(candidates: Sequence[Candidate]) -> Candidate:
    """The first candidate: the gazetteer stores them best prior first, filters keep order."""
    return candidates[0]


def situate(mentions: Iterable[Mention], text: str, gaz: Gazetteer) -> None:
    """Mark weak names that follow a lower-case preposition of place ("in Nice"), unless they
    start a facility's name ("at the Rogers Centre"), and weak divisions followed by the word
    for one ("Sagaing Region")."""
    for m in mentions:
        if m.weak:
            m.situated = preposition_before(text, m.start).islower() and not _heads_a_name(
                m, text, gaz
            )
            if text[m.end : m.end + 1] == " " and _DIVISION_AFTER.match(text, m.end):
                # "Sagaing Region", "Paktika province": the division, named as one.
                divisions = tuple(c for c in m.candidates if c.kind == ADMIN)
                if divisions:
                    m.candidates = divisions
                    m.situated = True


def _heads_a_name(m: Mention, text: str, gaz: Gazetteer) -> bool:
    """Glued to a capitalised word that is no place word ("Rogers Centre"), or to one after
    "de" ("en Palacio de Gobierno": Spanish and Portuguese names of buildings and bodies)."""
    if text[m.end : m.end + 4] in _OF_NAME and text[m.end + 4 : m.end + 5].isupper():
        return True
    after = _word_after(m, text)
    return after is not None and after not in gaz.place_suffixes


def resolve(mentions: Sequence[Mention]) -> list[Mention]:
    """Choose each mention's reading in the context the *other* mentions establish: "Georgia"
    alone is the country, "Georgia" with "Atlanta" is the U.S. state."""
    open_ = []
    for m in mentions:
        cands = m.candidates
        if len(cands) == 1 and not cands[0].flags & (WEAK | BOUND_ONLY):
            m.chosen = cands[0]  # what choose() decides for it in any context
        else:
            open_.append(m)
    if not open_:
        return list(mentions)  # the common case: no context needed
    by_country = anchors(mentions)
    contexts: dict[int, set[str]] = {}  # name → countries anchored by other names
    for m in open_:
        anchored = contexts.get(m.name)
        if anchored is None:
            anchored = {c for c, n in by_country.items() if n != m.name}
            contexts[m.name] = anchored
        m.chosen = choose(m, anchored)
    _follow_sure_readings(open_)
    return [m for m in mentions if m.chosen is not None]


def _follow_sure_readings(mentions: Sequence[Mention]) -> None:
    """The reading of a name in the dateline or in a "City, State" pair holds for its other
    mentions: "AMSTERDAM (Reuters) - … won the Amsterdam Marathon" is the Dutch city both
    times, "Smith of Paris, TX … at Paris Regional Medical Center" the Texan town."""
    filed = {
        m.name: m.chosen
        for m in mentions
        if (m.dateline or m.bound) and m.chosen is not None
    }
    if not filed:
        return
    for m in mentions:
        reading = filed.get(m.name)
        if reading is not None and not (m.dateline or m.bound) and reading in m.candidates:
            m.chosen = reading
