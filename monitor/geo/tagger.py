"""Text → places, countries and the primary country.

    title, text ──► fold (same length) ──► one Aho-Corasick pass per field ──► mentions
        ──► letter case ──► dateline ──► person/org context ──► "City, State" binding
        ──► anchors + priors pick one reading ──► weights ──► GeoTags

Everything here is pure: the automaton is built once in `Tagger.__init__`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from operator import itemgetter

import ahocorasick_rs

from monitor.config import PlaceConfig
from monitor.errors import ConfigError
from monitor.geo import disambiguate as dis
from monitor.geo.datelines import find_dateline
from monitor.geo.gazetteer import (
    BLOCK,
    KEY_BLOCK,
    KEY_EXACT,
    KEY_KEEPS_DOT,
    KEY_LOWER_OK,
    KEY_SENSITIVE,
    KEY_SOME_DEMONYM,
    KEY_WEAK,
    PLACE,
    Candidate,
    Gazetteer,
    key_flags,
)
from monitor.geo.normalize import padded, pattern_key
from monitor.geo.roads import find_road
from monitor.geo.scoring import rank_countries
from monitor.types import GeoTags, Place

_ISO2 = re.compile(r"[A-Za-z]{2}")
_NOTHING = GeoTags()
_START = itemgetter(1)  # of an automaton match (index, start, end)
_FLAGGED = "flagged"  # "Liberia-flagged": checked for only when the text has the word


class Tagger:
    """Finds places in news text. Build with `monitor.geo.load_tagger`.

    Raises ConfigError when a config place has no resolvable country."""

    def __init__(self, gazetteer: Gazetteer, places: Sequence[PlaceConfig] = ()) -> None:
        self._gaz = gazetteer
        table = gazetteer.lookup()
        config = self._config_entries(table, places)
        for key, candidate in config:
            table[key] = (candidate,)
        self._keys = list(table)
        self._candidates = [table[k] for k in self._keys]
        self._automaton = ahocorasick_rs.AhoCorasick(
            self._keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )
        self._table = table
        flags = gazetteer.flags_by_key()
        for key, candidate in config:
            flags[key] = key_flags((candidate,))
        self._flags = [flags[k] for k in self._keys]
        self._meta = list(zip(self._candidates, self._flags, strict=True))
        # Between title and text in the one automaton pass: more spaces in a row than any
        # pattern has, so no match spans the two fields.
        everything = "\n".join(self._keys)
        longest = 1
        while " " * (longest + 1) in everything:
            longest += 1
        self._separator = "\n" * (longest + 1)

    @staticmethod
    def _config_entries(
        table: dict[str, tuple[Candidate, ...]], places: Sequence[PlaceConfig]
    ) -> list[tuple[str, Candidate]]:
        """Config places as curated entries; every place without a country is reported."""
        entries, problems = [], []
        for number, place in enumerate(places):
            country = _config_country(table, place)
            if country is None:
                problems.append(
                    f"places[{number}] {place.name!r}: give `country` (ISO2) or a `within` "
                    f"that is a known place or ISO2 code (got {place.within!r})"
                )
                continue
            for name in (place.name, *place.aliases):
                entries.append((pattern_key(name), Candidate(name, country, PLACE, 0, 0)))
        if problems:
            raise ConfigError(problems)
        return entries

    def resolve_place(self, name: str) -> str | None:
        """ISO2 country of a named place ("Baghdad" → "IQ"), or None if unknown."""
        return _lookup_country(self._table, name)

    def tag(self, text: str, title: str = "") -> GeoTags:
        people: set[str] = set()
        heads, head_flags, body, body_flags = self._find(title, text, people)
        if not heads and not body:
            return _by_road(text, title)
        after = 0
        # The dateline only marks text mentions and moves the first sentence's start, which
        # only text mentions use: without any, neither matters.
        dateline = find_dateline(text) if body else None
        if dateline is not None:
            _mark_dateline(body, dateline.place, dateline.qualifier)
            after = (dateline.qualifier or dateline.place)[1]
        # Every word of a title-case headline is capitalised: "Rockets Hit Baghdad" says nothing
        # about "Hit", so neither person names nor weak readings are read from it.
        title_case = bool(head_flags & (KEY_SENSITIVE | KEY_WEAK)) and dis.is_title_case(title)
        if head_flags & KEY_SENSITIVE and not title_case:
            people |= dis.person_words(heads, title, self._gaz)
        if body_flags & KEY_SENSITIVE:
            people |= dis.person_words(body, text, self._gaz)
        towns: set[int] = set()
        mentions = self._settle(heads, title, people, head_flags, towns, title_case)
        if body:
            mentions += self._settle(body, text, people, body_flags, towns, False)
        if towns:
            mentions = dis.drop_towns(mentions, towns)
        places: list[Place] = []
        resolved = dis.drop_actors_beside_places(dis.resolve(mentions))
        if not resolved:
            return _by_road(text, title)
        ranked = rank_countries(resolved, title, text, self._gaz, after, places)
        countries = tuple([country for country, _ in ranked])
        return _geotags(countries, countries[0] if countries else None, tuple(places))

    def _find(
        self, title: str, text: str, people: set[str]
    ) -> tuple[list[dis.Mention], int, list[dis.Mention], int]:
        """Both fields' mentions and the union of their key flags, from one automaton pass
        over title + separator + text (no pattern has as many spaces in a row as the
        separator, so no match can span it)."""
        if not title and not text:
            return [], 0, [], 0
        split = len(title) + len(self._separator)  # title indices ≤ len(title) + 1 < split
        raw = title + self._separator + text
        norm = padded(raw)
        matches = self._automaton.find_matches_as_indexes(norm)
        first = bisect_left(matches, split, key=_START)
        heads, head_flags = self._mentions(raw, norm, matches[:first], "title", 0, people)
        body, body_flags = self._mentions(raw, norm, matches[first:], "text", split, people)
        if head_flags & KEY_SOME_DEMONYM or (heads and _FLAGGED in title):
            heads, head_flags = self._drop_language_uses(heads, title)
        if body_flags & KEY_SOME_DEMONYM or (body and _FLAGGED in text):
            body, body_flags = self._drop_language_uses(body, text)
        return heads, head_flags, body, body_flags

    def _mentions(
        self, raw: str, norm: str, matches: list[tuple[int, int, int]], field: str, offset: int,
        people: set[str],
    ) -> tuple[list[dis.Mention], int]:
        """Names matched in one field that pass the letter-case test, with field offsets, and
        the union of their key flags. Blocked phrases add their last word to `people`
        ("Jordan Henderson" … "Henderson said")."""
        found = []
        meta = self._meta
        seen = 0
        Mention = dis.Mention  # noqa: N806 - local binding for the hot loop
        for index, start, end in matches:
            # `start` is the pattern's leading space, i.e. the word's index in `raw`.
            if norm[end].isalnum():
                continue  # the start of a longer word: "Se" in "Seven"
            candidates, flags = meta[index]
            if not (raw[start].isupper() or flags & KEY_LOWER_OK):
                continue
            stop = end - 1
            if flags & KEY_BLOCK:
                phrase = raw[start:stop]
                if " " in phrase:
                    people.add(phrase.rsplit(" ", 1)[-1])
                continue
            if flags & KEY_KEEPS_DOT and raw[stop : stop + 1] == ".":
                stop += 1  # keep the abbreviation's full stop: "U.S." as written
            surface = raw[start:stop]
            if flags & KEY_EXACT:
                candidates = tuple([c for c in candidates if dis.case_allows(surface, c)])
                if not candidates:
                    continue
            seen |= flags
            found.append(Mention(
                field, start - offset, stop - offset, surface, candidates,
                False, False, False, None, flags & KEY_SENSITIVE != 0, False,
                flags & KEY_WEAK != 0, index,
            ))
        return found, seen

    def _settle(
        self, mentions: list[dis.Mention], text: str, people: set[str], flags: int,
        towns: set[int], title_case: bool,
    ) -> list[dis.Mention]:
        """One field's mentions after person names, "City, State" pairs and "in Nice" context;
        `flags` is the union of their key flags. Unknown towns' names are added to `towns`.
        In a title-case headline only bound readings stay weak ("… of Paris, TX")."""
        if not mentions:
            return mentions
        kept = dis.drop_people(mentions, people)
        if len(kept) > 1 and "," in text:
            dis.bind_pairs(kept, text, towns)
        if title_case:
            return dis.drop_weak(kept)
        if flags & KEY_WEAK:
            dis.situate(kept, text, self._gaz)
        return kept

    def _drop_language_uses(
        self, mentions: list[dis.Mention], text: str
    ) -> tuple[list[dis.Mention], int]:
        kept = dis.drop_language_uses(mentions, text)
        seen = 0
        for m in kept:
            seen |= self._meta[m.name][1]
        return kept, seen


# GeoTags is a frozen dataclass: its __init__ costs one `object.__setattr__` per field, which
# on the hot path is more than some of the tagging. This builds the same value.
def _geotags(countries: tuple[str, ...], primary: str | None, places: tuple[Place, ...]) -> GeoTags:
    tags = object.__new__(GeoTags)
    tags.__dict__.update(countries=countries, primary=primary, places=places)
    return tags


def _by_road(text: str, title: str) -> GeoTags:
    """An item that names no place but a British road number ("the A120") is in Britain."""
    road = find_road(text, title)
    if road is None:
        return _NOTHING
    return _geotags((road.country,), road.country, (road,))


def _mark_dateline(
    mentions: Sequence[dis.Mention], place: tuple[int, int], qualifier: tuple[int, int] | None
) -> None:
    limit = max(place[1], qualifier[1] if qualifier else 0)
    for m in mentions:
        if m.start >= limit:
            break  # mentions come in text order and the dateline opens the text
        if m.field != "text":
            continue
        if place[0] <= m.start < place[1]:
            m.dateline = True
        elif qualifier and qualifier[0] <= m.start < qualifier[1]:
            m.qualifier = True
            # An unknown small town: its state or country is where the story was filed.
            m.dateline = not any(x.dateline for x in mentions)


def _config_country(table: dict[str, tuple[Candidate, ...]], place: PlaceConfig) -> str | None:
    if place.country:
        return place.country.upper()
    if _ISO2.fullmatch(place.within):
        return place.within.upper()
    return _lookup_country(table, place.within) if place.within else None


def _lookup_country(table: dict[str, tuple[Candidate, ...]], name: str) -> str | None:
    candidates = table.get(pattern_key(name), ())
    usable = [c for c in candidates if c.country and c.kind != BLOCK]
    return dis.best(usable).country if usable else None
