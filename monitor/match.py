"""Item → [Match]: every configured rule's query and region filter (pure).

`RuleBook.build` parses and compiles every rule once (a bad rule raises RuleError, it is never
skipped); `RuleBook.match` folds and scans the item once for all rules, then applies the region
filter of each rule whose query matched. Region entries are, in this order: a region name (the
`region_countries` callable knows it), an ISO 3166 alpha-2 code, or a place name compared with
the item's tagged places case- and accent-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.config import RuleConfig
from monitor.errors import RuleError
from monitor.rules import Matcher, Node, explain, parse_query
from monitor.rules.compile import gc_paused
from monitor.rules.text import fold_words
from monitor.types import GeoTags, Item, Match, Where

RegionCountries = Callable[[str], frozenset[str] | None]
# Codes in news use but not (or not yet) in ISO 3166-1.
_EXTRA_CODES = frozenset({"XK"})


def place_key(name: str) -> str:
    """A place name folded for comparison (`Łódź` and `lodz` are the same place)."""
    return " ".join(fold_words(name))


@dataclass(frozen=True)
class RegionFilter:
    """A rule's `regions`, resolved; `regions()` says which of an item's countries satisfy it."""

    countries: frozenset[str]
    places: frozenset[str]
    where: Where

    def regions(self, geo: GeoTags) -> tuple[str, ...] | None:
        """The satisfying countries, or None when the item is outside the filter."""
        if self.where == "happened":
            return self._happened(geo)
        found = [c for c in geo.countries if c in self.countries]
        found += [p.country for p in geo.places if place_key(p.name) in self.places]
        return tuple(dict.fromkeys(found)) or None

    def _happened(self, geo: GeoTags) -> tuple[str, ...] | None:
        primary = geo.primary
        if primary is None:
            return None
        if primary in self.countries:
            return (primary,)
        for place in geo.places:
            if place.country == primary and place_key(place.name) in self.places:
                return (primary,)
        return None


def region_filter(rule: RuleConfig, region_countries: RegionCountries) -> RegionFilter | None:
    """None when the rule has no region filter (it matches anywhere)."""
    if not rule.regions:
        return None
    countries: set[str] = set()
    places: set[str] = set()
    for entry in rule.regions:
        kind, value = classify_region(entry, region_countries)
        if kind == "place":
            places.add(place_key(entry))
        else:
            countries.update(value)
    return RegionFilter(frozenset(countries), frozenset(places), rule.where)


def classify_region(entry: str, region_countries: RegionCountries) -> tuple[str, frozenset[str]]:
    """("region", codes) for a region name, ("country", {code}) for ISO2, ("place", {})."""
    named = region_countries(entry)
    if named is not None:
        return "region", frozenset(named)
    code = entry.strip()
    if len(code) == 2 and code.isascii() and code.isalpha():
        return "country", frozenset({code.upper()})
    return "place", frozenset()


def validate_rules(rules: Sequence[RuleConfig], region_countries: RegionCountries) -> list[str]:
    """Every problem of every rule, each prefixed by its location (for check-config)."""
    problems: list[str] = []
    for index, rule in enumerate(rules):
        where = f"rules[{index}] ({rule.name})"
        try:
            parse_query(rule.query)
        except RuleError as e:
            problems.append(f"{where}.query: {e.message} at position {e.position}")
        for entry in rule.regions:
            problem = _region_problem(entry, region_countries)
            if problem:
                problems.append(f"{where}.regions: {problem}")
    return problems


def _region_problem(entry: str, region_countries: RegionCountries) -> str | None:
    if not entry.strip():
        return "empty region"
    kind, codes = classify_region(entry, region_countries)
    if kind != "country":
        return None
    (code,) = codes
    import pycountry

    if code in _EXTRA_CODES or pycountry.countries.get(alpha_2=code) is not None:
        return None
    return f"unknown country code {entry!r}"


@dataclass(frozen=True)
class RuleBook:
    """Every rule compiled together; `match` is what the poll path calls for each new item."""

    rules: tuple[RuleConfig, ...]
    matcher: Matcher
    filters: tuple[RegionFilter | None, ...]

    @classmethod
    def build(cls, rules: Sequence[RuleConfig], region_countries: RegionCountries) -> RuleBook:
        """Raises RuleError (message prefixed with the rule's location) for a bad query."""
        with gc_paused():
            queries = [_parse_rule(index, rule) for index, rule in enumerate(rules)]
            matcher = Matcher.build(queries)
        filters = tuple(region_filter(rule, region_countries) for rule in rules)
        return cls(tuple(rules), matcher, filters)

    def match(self, item: Item) -> list[Match]:
        scan = self.matcher.scan(item_texts(item, self.matcher.fields))
        matches: list[Match] = []
        for index in self.matcher.matching(scan):
            region_filter = self.filters[index]
            regions = (
                item.geo.countries if region_filter is None else region_filter.regions(item.geo)
            )
            if regions is None:
                continue
            rule = self.rules[index]
            terms, hits = explain(self.matcher, index, scan)
            matches.append(Match(rule.name, rule.severity, terms, hits, tuple(regions)))
        return matches


def _parse_rule(index: int, rule: RuleConfig) -> Node:
    try:
        return parse_query(rule.query)
    except RuleError as e:
        message = f"rules[{index}] ({rule.name}).query: {e.message}"
        raise RuleError(message, e.position, rule.query) from e


def item_texts(item: Item, fields: Sequence[str]) -> dict[str, str]:
    return {name: item.field_text(name) for name in fields}
