"""Text → places, countries and the primary country.

    title, text ──► fold (same length) ──► one Aho-Corasick pass per field ──► mentions
        ──► letter case ──► dateline ──► person/org context ──► "City, State" binding
        ──► anchors + priors pick one reading ──► weights ──► GeoTags

Everything here is pure: the automaton is built once in `Tagger.__init__`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import ahocorasick_rs

from monitor.config import PlaceConfig
from monitor.errors import ConfigError
from monitor.geo import disambiguate as dis
from monitor.geo.datelines import find_dateline
from monitor.geo.gazetteer import (
    BLOCK,
    DEMONYM,
    KEY_EXACT,
    KEY_LOWER_OK,
    KEY_SENSITIVE,
    KEY_WEAK,
    PLACE,
    Candidate,
    Gazetteer,
    key_flags,
)
from monitor.geo.normalize import padded, pattern_key
from monitor.geo.scoring import rank_countries
from monitor.types import GeoTags, Place

_ISO2 = re.compile(r"[A-Za-z]{2}")
# Match-loop bits on top of the gazetteer's KEY_* flags (which use the low bits).
_BLOCKED = 1 << 8  # the first reading is BLOCK: the phrase yields no place
_KEEPS_DOT = 1 << 9  # the first reading ends in a full stop ("U.S.")
_SOME_DEMONYM = 1 << 10  # some reading is a demonym: check for language uses
_NOTHING = GeoTags()


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
        self._meta = [
            (c, _hot_flags(c, f)) for c, f in zip(self._candidates, self._flags, strict=True)
        ]

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
        heads = self._mentions(title, "title", people)
        body = self._mentions(text, "text", people)
        if not heads and not body:
            return _NOTHING
        after = 0
        # The dateline only marks text mentions and moves the first sentence's start, which
        # only text mentions use: without any, neither matters.
        dateline = find_dateline(text) if body else None
        if dateline is not None:
            _mark_dateline(body, dateline.place, dateline.qualifier)
            after = (dateline.qualifier or dateline.place)[1]
        shouting_title = bool(heads) and any(m.sensitive or m.weak for m in heads) and (
            dis.is_title_case(title)
        )
        if shouting_title:
            # Every word is capitalised: "Rockets Hit Baghdad" says nothing about "Hit".
            heads = dis.drop_weak(heads)
        elif any(m.sensitive for m in heads):
            people |= dis.person_words(heads, title, self._gaz)
        if any(m.sensitive for m in body):
            people |= dis.person_words(body, text, self._gaz)
        mentions = _settle(heads, title, people) + _settle(body, text, people)
        resolved = dis.resolve(mentions)
        ranked = rank_countries(resolved, title, text, self._gaz, after)
        places = tuple([
            _place(m.surface, m.chosen.country, m.start, m.end, m.field)
            for m in resolved
            if m.chosen is not None
        ])
        countries = tuple([country for country, _ in ranked])
        return GeoTags(countries=countries, primary=countries[0] if countries else None,
                       places=places)

    def _mentions(self, text: str, field: str, people: set[str]) -> list[dis.Mention]:
        """Names the automaton finds in one field that pass the letter-case test. Blocked
        phrases add their last word to `people` ("Jordan Henderson" … "Henderson said")."""
        if not text:
            return []
        norm = padded(text)
        found = []
        meta = self._meta
        demonyms = 0
        Mention = dis.Mention  # noqa: N806 - local binding for the hot loop
        for index, start, end in self._automaton.find_matches_as_indexes(norm):
            # `start` is the pattern's leading space, i.e. the word's index in `text`.
            candidates, flags = meta[index]
            if norm[end].isalnum() or not (text[start].isupper() or flags & KEY_LOWER_OK):
                continue
            stop = end - 1
            if flags & _BLOCKED:
                phrase = text[start:stop]
                if " " in phrase:
                    people.add(phrase.rsplit(" ", 1)[-1])
                continue
            if flags & _KEEPS_DOT and text[stop : stop + 1] == ".":
                stop += 1  # keep the abbreviation's full stop: "U.S." as written
            surface = text[start:stop]
            if flags & KEY_EXACT:
                candidates = tuple([c for c in candidates if dis.case_allows(surface, c)])
                if not candidates:
                    continue
            demonyms |= flags & _SOME_DEMONYM
            found.append(
                Mention(
                    field, start, stop, surface, candidates,
                    sensitive=bool(flags & KEY_SENSITIVE), weak=bool(flags & KEY_WEAK),
                    name=index,
                )
            )
        return dis.drop_language_uses(found, text) if demonyms else found


def _settle(mentions: list[dis.Mention], text: str, people: set[str]) -> list[dis.Mention]:
    """One field's mentions after person names, "City, State" pairs and "in Nice" context."""
    if not mentions:
        return mentions
    kept = dis.drop_people(mentions, people) if people else mentions
    if len(kept) > 1 and "," in text:
        dis.bind_pairs(kept, text)
    dis.situate(kept, text)
    return kept


def _hot_flags(candidates: tuple[Candidate, ...], flags: int) -> int:
    """The gazetteer's key flags plus the per-key facts the match loop would otherwise
    look up on the first candidate for every match."""
    if candidates[0].kind == BLOCK:
        flags |= _BLOCKED
    if candidates[0].name.endswith("."):
        flags |= _KEEPS_DOT
    if any(c.kind == DEMONYM for c in candidates):
        flags |= _SOME_DEMONYM
    return flags


def _place(name: str, country: str, start: int, end: int, field: str) -> Place:
    """A Place without the frozen-dataclass __init__ (one `object.__setattr__` per field):
    on the hot path that costs more than resolving the name did."""
    place = object.__new__(Place)
    place.__dict__.update(name=name, country=country, start=start, end=end, field=field)
    return place


def _mark_dateline(
    mentions: Sequence[dis.Mention], place: tuple[int, int], qualifier: tuple[int, int] | None
) -> None:
    for m in mentions:
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
