"""Run one query (and optional region filter) over past items: the engine behind
`monitor rules test` and the web UI's "test this rule" form."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.config import RuleConfig
from monitor.match import RegionCountries, RegionFilter, item_texts, region_filter
from monitor.rules.compile import Matcher
from monitor.rules.explain import explain
from monitor.rules.syntax import parse_query
from monitor.types import Item, TermHit, Where


@dataclass(frozen=True)
class BacktestHit:
    """An item the query matched, with the terms, their spans and the satisfying countries."""

    item: Item
    terms: tuple[str, ...]
    hits: tuple[TermHit, ...]
    regions: tuple[str, ...]


def no_regions(_name: str) -> frozenset[str] | None:
    """A `region_countries` that knows no region names (entries are ISO2 codes or places)."""
    return None


def backtest(
    query: str,
    items: Iterable[Item],
    *,
    regions: Sequence[str] = (),
    where: Where = "happened",
    region_countries: RegionCountries = no_regions,
    since: datetime | None = None,
) -> Iterator[BacktestHit]:
    """The matching items, lazily, in input order. Raises RuleError at once for a bad query.

    `since` drops items published (else fetched) before it; items without either are kept.
    """
    matcher = Matcher.build([parse_query(query)])
    rule = RuleConfig(name="backtest", query=query, regions=tuple(regions), where=where)
    return _run(matcher, region_filter(rule, region_countries), items, since)


def _run(
    matcher: Matcher, filter_: RegionFilter | None, items: Iterable[Item], since: datetime | None
) -> Iterator[BacktestHit]:
    for item in items:
        if since is not None and not is_since(item, since):
            continue
        scan = matcher.scan(item_texts(item, matcher.fields))
        if not matcher.matching(scan):
            continue
        found = item.geo.countries if filter_ is None else filter_.regions(item.geo)
        if found is None:
            continue
        terms, hits = explain(matcher, 0, scan)
        yield BacktestHit(item, terms, hits, tuple(found))


def is_since(item: Item, since: datetime) -> bool:
    """Published (else fetched) at or after `since`; an item without either time is kept."""
    when = item.published_at or item.fetched_at
    return when is None or when >= since
