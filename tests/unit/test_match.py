"""match.py: rules × regions → Match, and the problems check-config reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.config import RuleConfig
from monitor.errors import RuleError
from monitor.match import RuleBook, validate_rules
from monitor.rules.backtest import backtest
from monitor.types import GeoTags, Item, Match, Place, TermHit, Where

REGIONS = {"Levant": frozenset({"SY", "LB", "JO", "IL", "PS"}), "Gulf": frozenset({"SA", "AE"})}


def region_countries(name: str) -> frozenset[str] | None:
    return REGIONS.get(name)


def item(
    title: str = "Rockets hit the Green Zone",
    countries: tuple[str, ...] = (),
    primary: str | None = None,
    places: tuple[Place, ...] = (),
    published_at: datetime | None = None,
) -> Item:
    geo = GeoTags(countries, primary, places)
    return Item("k1", 1, "Wire", title, "", published_at=published_at, geo=geo)


def rule(
    query: str = "rocket*", regions: tuple[str, ...] = (), where: Where = "happened"
) -> RuleConfig:
    return RuleConfig(name="r", query=query, regions=regions, where=where, severity="urgent")


def matched_regions(rule_config: RuleConfig, news: Item) -> tuple[str, ...] | None:
    matches = RuleBook.build([rule_config], region_countries).match(news)
    return matches[0].regions if matches else None


BAGHDAD = Place("Baghdad", "IQ", 0, 7, "title")
GREEN_ZONE = Place("Green Zone", "IQ", 20, 30, "title")
ZURICH = Place("Zürich", "CH", 0, 6, "title")

REGION_CASES = [
    # (regions, where, countries, primary, places, expected regions or None)
    ((), "happened", ("IQ", "US"), "IQ", (), ("IQ", "US")),
    ((), "happened", (), None, (), ()),
    (("IQ",), "happened", ("IQ", "US"), "IQ", (), ("IQ",)),
    (("IQ",), "happened", ("IQ", "US"), "US", (), None),
    (("IQ",), "mentioned", ("IQ", "US"), "US", (), ("IQ",)),
    (("iq",), "happened", ("IQ",), "IQ", (), ("IQ",)),
    (("IQ",), "happened", (), None, (), None),
    (("IQ", "SY"), "mentioned", ("SY", "US", "IQ"), "US", (), ("SY", "IQ")),
    (("Levant",), "happened", ("LB", "IQ"), "LB", (), ("LB",)),
    (("Levant",), "happened", ("LB", "IQ"), "IQ", (), None),
    (("Levant",), "mentioned", ("LB", "IQ", "SY"), "IQ", (), ("LB", "SY")),
    (("Levant", "Gulf"), "mentioned", ("AE",), "AE", (), ("AE",)),
    (("Green Zone",), "happened", ("IQ",), "IQ", (GREEN_ZONE,), ("IQ",)),
    (("green zone",), "happened", ("IQ",), "IQ", (GREEN_ZONE,), ("IQ",)),
    (("Green Zone",), "happened", ("IQ", "US"), "US", (GREEN_ZONE,), None),
    (("Green Zone",), "mentioned", ("IQ", "US"), "US", (GREEN_ZONE,), ("IQ",)),
    (("Green Zone",), "happened", ("IQ",), "IQ", (BAGHDAD,), None),
    (("zurich",), "happened", ("CH",), "CH", (ZURICH,), ("CH",)),
    (("Green Zone", "SY"), "mentioned", ("SY", "IQ"), "SY", (GREEN_ZONE,), ("SY", "IQ")),
]


@pytest.mark.parametrize(
    ("regions", "where", "countries", "primary", "places", "expected"), REGION_CASES
)
def test_region_filters_decide_by_where_the_story_happened_or_is_mentioned(
    regions: tuple[str, ...],
    where: Where,
    countries: tuple[str, ...],
    primary: str | None,
    places: tuple[Place, ...],
    expected: tuple[str, ...] | None,
) -> None:
    news = item(countries=countries, primary=primary, places=places)
    assert matched_regions(rule(regions=regions, where=where), news) == expected


def test_a_match_carries_rule_severity_terms_and_highlightable_hits() -> None:
    query = 'rocket* AND "green zone" NOT football'
    book = RuleBook.build([rule(query, ("IQ",))], region_countries)
    news = item(countries=("IQ",), primary="IQ")
    assert book.match(news) == [
        Match(
            rule="r",
            severity="urgent",
            terms=("rocket*", '"green zone"'),
            hits=(
                TermHit("rocket*", "title", 0, 7),
                TermHit('"green zone"', "title", 16, 26),
            ),
            regions=("IQ",),
        )
    ]


def test_a_query_that_does_not_match_yields_no_match_whatever_the_region() -> None:
    book = RuleBook.build([rule("football")], region_countries)
    assert book.match(item(countries=("IQ",), primary="IQ")) == []


def test_many_rules_are_matched_in_config_order() -> None:
    rules = [
        RuleConfig(name="a", query="rocket*"),
        RuleConfig(name="b", query="football"),
        RuleConfig(name="c", query='"green zone"', regions=("IQ",)),
        RuleConfig(name="d", query="zone", regions=("SY",)),
    ]
    book = RuleBook.build(rules, region_countries)
    found = book.match(item(countries=("IQ",), primary="IQ"))
    assert [m.rule for m in found] == ["a", "c"]


def test_a_rule_book_without_rules_matches_nothing() -> None:
    assert RuleBook.build([], region_countries).match(item(countries=("IQ",))) == []


def test_a_bad_rule_stops_the_build_with_its_location() -> None:
    rules = [RuleConfig(name="ok", query="rocket"), RuleConfig(name="bad", query='"rocket')]
    with pytest.raises(RuleError) as caught:
        RuleBook.build(rules, region_countries)
    assert caught.value.message == "rules[1] (bad).query: unbalanced quote"
    assert caught.value.position == 0


def test_validate_rules_reports_every_problem_with_its_location() -> None:
    rules = [
        RuleConfig(name="fine", query="rocket*", regions=("IQ", "Levant", "Green Zone")),
        RuleConfig(name="iraq-attacks", query='rocket AND "c-ram OR drone'),
        RuleConfig(name="loose", query="NOT football", regions=("QQ", " ")),
    ]
    assert validate_rules(rules, region_countries) == [
        "rules[1] (iraq-attacks).query: unbalanced quote at position 11",
        "rules[2] (loose).query: query matches items without any of its terms "
        "(a NOT needs a positive term beside it) at position 0",
        "rules[2] (loose).regions: unknown country code 'QQ'",
        "rules[2] (loose).regions: empty region",
    ]


def test_kosovo_is_a_known_country_code() -> None:
    assert validate_rules([rule(regions=("XK",))], region_countries) == []


def test_backtest_applies_query_regions_and_since() -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    new = datetime(2026, 11, 1, tzinfo=UTC)
    items = [
        item(countries=("IQ",), primary="IQ", published_at=new),
        item(countries=("IQ",), primary="IQ", published_at=old),
        item(countries=("SY",), primary="SY", published_at=new),
        item(title="Football results", countries=("IQ",), primary="IQ", published_at=new),
        item(countries=("IQ",), primary="IQ"),
    ]
    since = datetime(2026, 1, 1, tzinfo=UTC)
    hits = list(backtest("rocket*", items, regions=["IQ"], since=since))
    assert [h.item for h in hits] == [items[0], items[4]]
    assert hits[0].terms == ("rocket*",)
    assert hits[0].regions == ("IQ",)
    assert hits[0].hits == (TermHit("rocket*", "title", 0, 7),)


def test_backtest_refuses_a_bad_query_before_reading_any_item() -> None:
    def items() -> Iterator[Item]:
        raise AssertionError("items were read")
        yield

    with pytest.raises(RuleError):
        backtest("rocket AND", items())
