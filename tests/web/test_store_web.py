"""The store's web queries on hand-made data with pinned times: grouping by story, filters,
counts, audited triage, hit counts per window, per-day counts and the /metrics totals — the same
contract on every backend (SQLite, and PostgreSQL when its server binaries are installed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.records import InboxFilter
from monitor.store.base import Store
from monitor.store.sqlite import SqliteStore
from monitor.types import FeedResult, GeoTags, Item, Match, NewItem, TermHit

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgres":
        from monitor.store.postgres import PostgresStore

        opened: Store = PostgresStore(request.getfixturevalue("pg_url"))
    else:
        opened = SqliteStore(tmp_path / "web.db")
    opened.migrate()
    yield opened
    opened.close()


def put(
    store: Store, outlet: str, key: str, title: str, *, at: datetime = T0,
    rule: str = "r1", country: str = "IQ", story: int | None = None, severity: str = "normal",
) -> int:
    """Store one item matched by `rule` (as outlet `outlet`, at `at`); returns its match id."""
    url = f"https://{outlet}.example/rss"
    store.add_feed(url, outlet, at)
    [feed] = store.claim_due_feeds(at, "t", 60, 1, urls=[url])
    assert feed.lease_token is not None
    item = Item(key=key, feed_id=feed.id, source=outlet, title=title, summary=f"{title}.",
                published_at=at, fetched_at=at, geo=GeoTags(countries=(country,), primary=country))
    match = Match(rule=rule, severity=severity, terms=("x",),  # type: ignore[arg-type]
                  hits=(TermHit("x", "title", 0, 1),), regions=(country,))
    result = FeedResult(feed_id=feed.id, lease_token=feed.lease_token, checked_at=at,
                        next_check_at=at, status=200, error=None, error_count=0, etag=None,
                        last_modified=None, items=(NewItem(item, (match,), story_id=story),))
    assert store.complete_feed(result, "t")
    return store.search_matches(InboxFilter(text=title), 1).matches[0].id


def test_copies_of_one_story_are_one_inbox_row_counting_their_outlets(
    store: Store,
) -> None:
    first = put(store, "a", "1", "Rockets hit Baghdad")
    story = store.match_detail(first)
    assert story is not None and story.match.story_id is not None
    put(store, "b", "2", "Rockets strike Baghdad", story=story.match.story_id,
        at=T0 + timedelta(minutes=5), severity="urgent")
    put(store, "c", "3", "Quake in Japan", country="JP", at=T0 + timedelta(minutes=1))
    page = store.inbox(InboxFilter())
    assert page.total == 2
    assert [len(r.matches) for r in page.rows] == [2, 1]
    assert page.rows[0].outlets == 2 and page.rows[0].lead.source == "b"


def test_text_search_takes_percent_and_underscore_literally(store: Store) -> None:
    put(store, "a", "1", "Rates up 5% in Basra")
    put(store, "a", "2", "Rates up 50 in Basra")
    put(store, "a", "3", "snake_case title")
    assert store.search_matches(InboxFilter(text="5%"), 10).total == 1
    assert store.search_matches(InboxFilter(text="e_c"), 10).total == 1
    assert store.search_matches(InboxFilter(text="RATES"), 10).total == 2


def test_filters_by_time_window_severity_and_region(store: Store) -> None:
    put(store, "a", "1", "Old", at=T0 - timedelta(days=3))
    put(store, "a", "2", "New", at=T0, severity="urgent", country="UA")
    recent = InboxFilter(since=T0 - timedelta(days=1))
    assert [m.title for m in store.search_matches(recent, 10).matches] == ["New"]
    older = InboxFilter(until=T0 - timedelta(days=1))
    assert [m.title for m in store.search_matches(older, 10).matches] == ["Old"]
    assert store.search_matches(InboxFilter(severity="urgent"), 10).total == 1
    assert store.search_matches(InboxFilter(region="IQ"), 10).total == 1


def test_status_counts_leave_the_status_filter_out(store: Store) -> None:
    ids = [put(store, "a", str(i), f"Item {i}") for i in range(3)]
    store.set_match_status(ids[:1], "starred", None, "ann", T0)
    page = store.inbox(InboxFilter(status="new"))
    assert page.total == 2
    assert page.counts == {"new": 2, "acknowledged": 0, "false_positive": 0, "starred": 1}


def test_triage_audits_real_changes_only(store: Store) -> None:
    match = put(store, "a", "1", "Rockets")
    assert store.set_match_status([match, 999], "acknowledged", None, "ann", T0) == 1
    assert store.set_match_status([match], "acknowledged", None, "bob", T0) == 0
    assert store.set_match_status([match], None, "checked", "bob", T0 + timedelta(1)) == 1
    entries = store.audit_for("match", [str(match)])
    assert [(a.actor, dict(a.detail)) for a in entries] == [
        ("ann", {"status": ["new", "acknowledged"]}), ("bob", {"note": "checked"})]
    with pytest.raises(ValueError):
        store.set_match_status([match], "closed", None, "ann", T0)


def test_rule_hits_are_counted_over_one_seven_and_thirty_days(store: Store) -> None:
    for days, key in ((0, "1"), (3, "2"), (20, "3"), (40, "4")):
        put(store, "a", key, f"Item {key}", at=T0 - timedelta(days=days, hours=1), rule="r1")
    put(store, "a", "5", "Item 5", rule="r2", at=T0 - timedelta(hours=2))
    assert store.rule_hit_counts(T0) == {"r1": (1, 2, 3), "r2": (1, 1, 1)}


def test_daily_and_country_counts_feed_the_charts(store: Store) -> None:
    put(store, "a", "1", "One", at=T0, country="IQ")
    put(store, "a", "2", "Two", at=T0 - timedelta(days=1), country="IQ", rule="r2")
    put(store, "a", "3", "Three", at=T0, country="UA")
    since = T0 - timedelta(days=7)
    assert store.country_counts(since) == {"IQ": 2, "UA": 1}
    assert store.daily_counts(since, "rule") == {"r1": {"2026-11-25": 2}, "r2": {"2026-11-24": 1}}
    assert store.daily_counts(since, "country")["IQ"] == {"2026-11-24": 1, "2026-11-25": 1}


def test_poll_now_only_for_a_known_feed_and_stats_add_up(store: Store) -> None:
    put(store, "a", "1", "One")
    [feed] = store.list_feeds()
    assert store.request_poll(feed.id, "ann", T0) is True
    assert store.request_poll(99999, "ann", T0) is False
    assert store.recent_audit()[0].action == "poll_now"
    stats = store.stats()
    assert (stats.items, stats.matches, stats.cycles, stats.alerts_sent) == (1, 1, 0, 0)
    assert stats.last_cycle_s is None


def test_a_named_regions_countries_filter_primary_and_listed_regions(store: Store) -> None:
    put(store, "a", "1", "Beirut", country="LB")
    put(store, "a", "2", "Amman", country="JO")
    put(store, "a", "3", "Kyiv", country="UA")
    levant = InboxFilter(countries=("LB", "JO", "SY"))
    assert sorted(m.title for m in store.search_matches(levant, 10).matches) == ["Amman", "Beirut"]
    assert store.inbox(levant).total == 2
