"""The `Store` contract, run against every backend (today SQLite; PostgreSQL joins the params).

Only Protocol methods are used here, except in tests named for one backend. Time is passed in.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import FeedConfig
from monitor.store.base import Store
from monitor.store.postgres import PostgresStore
from monitor.store.sqlite import SqliteStore
from monitor.types import (
    CycleStats,
    Feed,
    FeedResult,
    GeoTags,
    Item,
    Match,
    NewItem,
    Place,
    TermHit,
)

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
LEASE_S = 120
NO_GEO = GeoTags()
OpenStore = Callable[[], Store]


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens another connection to one fresh database; every store opened is closed afterwards."""
    opened: list[Store] = []
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else ""

    def opener() -> Store:
        if request.param == "sqlite":
            store: Store = SqliteStore(tmp_path / "nested" / "monitor.db")
        else:
            store = PostgresStore(url)
        store.migrate()
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> Store:
    return open_store()


def feeds(*names: str) -> list[FeedConfig]:
    return [FeedConfig(url=f"https://{n.lower()}.example/rss", name=n) for n in names]


def item(key: str, *, published: datetime | None = None, geo: GeoTags = NO_GEO) -> Item:
    return Item(
        key=key,
        feed_id=0,
        source="",
        title=f"title {key}",
        summary=f"summary {key}",
        link=f"https://x.example/{key}",
        published_at=published,
        geo=geo,
    )


def result(feed: Feed, *new: NewItem, at: datetime = T0, **changes: object) -> FeedResult:
    assert feed.lease_token is not None
    base = FeedResult(
        feed_id=feed.id,
        lease_token=feed.lease_token,
        checked_at=at,
        next_check_at=at + timedelta(minutes=10),
        status=200,
        error=None,
        error_count=0,
        etag='W/"v1"',
        last_modified="Wed, 25 Nov 2026 14:00:00 GMT",
        items=tuple(new),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def claim_one(store: Store, url: str, now: datetime = T0, owner: str = "w1") -> Feed:
    [feed] = store.claim_due_feeds(now, owner, LEASE_S, 10, urls=[url])
    return feed


def feed_named(store: Store, name: str) -> Feed:
    return next(f for f in store.list_feeds() if f.name == name)


def rocket(regions: tuple[str, ...] = ("IQ",)) -> Match:
    return Match(
        rule="iraq-attacks",
        severity="urgent",
        terms=("rocket*",),
        hits=(TermHit("rocket*", "title", 0, 7),),
        regions=regions,
    )


# schema -----------------------------------------------------------------
def test_migrating_twice_keeps_the_schema_and_the_data(open_store: OpenStore) -> None:
    store = open_store()
    store.add_feed("https://a.example/rss", "A", T0)
    store.migrate()
    again = open_store()
    assert [f.name for f in again.list_feeds()] == ["A"]


def test_a_sqlite_store_creates_its_folder_and_a_wal_mode_file_with_every_table(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a" / "b" / "m.db"
    store = SqliteStore(path)
    store.migrate()
    store.migrate()
    assert store.pending_migrations() == []
    store.close()
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "feeds",
        "items",
        "stories",
        "matches",
        "outbox",
        "digest_runs",
        "audit",
        "cycles",
        "workers",
        "host_backoff",
    } <= tables


def test_a_sqlite_store_enforces_foreign_keys(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "m.db")
    store.migrate()
    with pytest.raises(sqlite3.IntegrityError), store._write() as conn:
        conn.execute("INSERT INTO items (feed_id, key, fetched_at) VALUES (42, 'k', 'now')")
    store.close()


# claiming ---------------------------------------------------------------
def test_a_claim_leases_due_feeds_so_another_owner_gets_nothing_until_it_expires(
    store: Store,
) -> None:
    store.sync_feeds(feeds("A", "B"), T0)
    claimed = store.claim_due_feeds(T0, "w1", LEASE_S, 10)
    assert sorted(f.name for f in claimed) == ["A", "B"]
    assert all(f.lease_token for f in claimed)
    assert len({f.lease_token for f in claimed}) == 2
    later = T0 + timedelta(seconds=LEASE_S - 1)
    assert store.claim_due_feeds(later, "w2", LEASE_S, 10, ignore_schedule=True) == []
    assert store.claim_due_feeds(later, "w2", LEASE_S, 10, urls=[claimed[0].url]) == []


def test_an_expired_lease_can_be_claimed_again_with_a_new_token(store: Store) -> None:
    store.sync_feeds(feeds("A"), T0)
    [first] = store.claim_due_feeds(T0, "w1", LEASE_S, 10)
    [second] = store.claim_due_feeds(T0 + timedelta(seconds=LEASE_S), "w2", LEASE_S, 10)
    assert second.id == first.id
    assert second.lease_token != first.lease_token


def test_feeds_not_yet_due_are_claimed_only_when_the_schedule_is_ignored(store: Store) -> None:
    store.sync_feeds(feeds("A"), T0)
    feed = claim_one(store, "https://a.example/rss")
    assert store.complete_feed(result(feed, next_check_at=T0 + timedelta(hours=1)), "w1")
    assert store.claim_due_feeds(T0 + timedelta(minutes=1), "w1", LEASE_S, 10) == []
    forced = store.claim_due_feeds(
        T0 + timedelta(minutes=1), "w1", LEASE_S, 10, ignore_schedule=True
    )
    assert [f.name for f in forced] == ["A"]


def test_disabled_feeds_are_claimed_only_when_named(store: Store) -> None:
    store.sync_feeds(feeds("A", "B"), T0)
    store.sync_feeds(feeds("A"), T0)
    assert [f.name for f in store.claim_due_feeds(T0, "w1", LEASE_S, 10, ignore_schedule=True)] == [
        "A"
    ]
    named = store.claim_due_feeds(T0, "w1", LEASE_S, 10, urls=["https://b.example/rss"])
    assert [(f.name, f.disabled_reason) for f in named] == [("B", "removed from config")]


def test_claims_take_the_most_overdue_feeds_first_up_to_the_limit(store: Store) -> None:
    store.sync_feeds(feeds("A", "B", "C"), T0)
    for name, minutes in (("A", 3), ("B", 1), ("C", 2)):
        feed = claim_one(store, f"https://{name.lower()}.example/rss")
        due = T0 + timedelta(minutes=minutes)
        assert store.complete_feed(result(feed, next_check_at=due), "w1")
    claimed = store.claim_due_feeds(T0 + timedelta(hours=1), "w1", LEASE_S, 2)
    assert [f.name for f in claimed] == ["B", "C"]


def test_workers_claiming_at_once_never_get_the_same_feed(open_store: OpenStore) -> None:
    open_store().sync_feeds(feeds(*(f"F{i}" for i in range(40))), T0)
    workers = [open_store() for _ in range(4)]
    got: list[list[Feed]] = [[] for _ in workers]

    def work(n: int) -> None:
        while batch := workers[n].claim_due_feeds(T0, f"w{n}", LEASE_S, 3):
            got[n].extend(batch)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [f.id for batch in got for f in batch]
    assert len(ids) == len(set(ids)) == 40


# completing -------------------------------------------------------------
def test_completing_with_the_held_lease_writes_items_matches_and_feed_state(
    store: Store,
) -> None:
    store.sync_feeds(feeds("A"), T0)
    feed = claim_one(store, "https://a.example/rss")
    done = result(feed, NewItem(item("k1"), (rocket(),)), NewItem(item("k2")), unconditional=True)
    assert store.complete_feed(done, "w1") is True
    after = feed_named(store, "A")
    assert (after.last_status, after.etag, after.last_modified) == (
        200,
        'W/"v1"',
        "Wed, 25 Nov 2026 14:00:00 GMT",
    )
    assert after.last_fetched_at == after.last_unconditional_at == T0
    assert after.next_check_at == T0 + timedelta(minutes=10)
    assert (after.items_seen, after.lease_token) == (2, None)
    assert store.seen_keys(feed.id, ["k1", "k2", "k3"]) == {"k1", "k2"}
    assert [(m.rule, m.terms, m.regions) for m in store.list_matches()] == [
        ("iraq-attacks", ("rocket*",), ("IQ",))
    ]


def test_completing_with_a_stale_token_writes_nothing(store: Store) -> None:
    store.sync_feeds(feeds("A"), T0)
    stale = claim_one(store, "https://a.example/rss")
    takeover = claim_one(store, stale.url, now=T0 + timedelta(seconds=LEASE_S), owner="w2")
    late = result(stale, NewItem(item("k1"), (rocket(),)), status=500, error="boom")
    assert store.complete_feed(late, "w1") is False
    after = feed_named(store, "A")
    assert (after.last_status, after.last_error, after.items_seen) == (None, None, 0)
    assert after.lease_token == takeover.lease_token
    assert store.seen_keys(stale.id, ["k1"]) == set()
    assert store.list_matches() == []
    assert store.count_items() == 0


def test_completing_the_same_items_twice_stores_each_item_and_match_once(store: Store) -> None:
    store.sync_feeds(feeds("A"), T0)
    entries = (NewItem(item("k1"), (rocket(),)), NewItem(item("k2"), (rocket(),)))
    first = claim_one(store, "https://a.example/rss")
    assert store.complete_feed(result(first, *entries), "w1")
    assert store.complete_feed(result(first, *entries), "w1") is False
    again = claim_one(store, first.url, now=T0 + timedelta(minutes=1))
    assert store.complete_feed(result(again, *entries, at=T0 + timedelta(minutes=1)), "w1")
    assert store.count_items() == 2
    assert len(store.list_matches()) == 2
    assert feed_named(store, "A").items_seen == 2


def test_an_error_result_keeps_items_and_records_the_error(store: Store) -> None:
    store.sync_feeds(feeds("A"), T0)
    feed = claim_one(store, "https://a.example/rss")
    store.complete_feed(result(feed, NewItem(item("k1"))), "w1")
    feed = claim_one(store, feed.url)
    failed = result(feed, status=None, error="connection refused", error_count=1, etag=None)
    assert store.complete_feed(failed, "w1")
    after = feed_named(store, "A")
    assert (after.last_status, after.last_error, after.error_count) == (
        None,
        "connection refused",
        1,
    )
    assert (after.etag, after.items_seen) == (None, 1)


def test_a_poll_decides_a_feeds_health_but_not_its_removal_from_config(store: Store) -> None:
    store.sync_feeds(feeds("A", "B"), T0)
    a, b = claim_one(store, "https://a.example/rss"), claim_one(store, "https://b.example/rss")
    store.sync_feeds(feeds("A"), T0)
    assert store.complete_feed(result(a, status=410, disabled_reason="gone (HTTP 410)"), "w1")
    assert store.complete_feed(result(b), "w1")
    assert feed_named(store, "A").disabled_reason == "gone (HTTP 410)"
    assert feed_named(store, "B").disabled_reason == "removed from config"
    assert store.complete_feed(result(claim_one(store, a.url)), "w1")
    assert feed_named(store, "A").disabled_reason is None


def test_seen_keys_are_per_feed(store: Store) -> None:
    store.sync_feeds(feeds("A", "B"), T0)
    a = claim_one(store, "https://a.example/rss")
    store.complete_feed(result(a, *(NewItem(item(f"k{i}")) for i in range(700))), "w1")
    b = feed_named(store, "B")
    keys = [f"k{i}" for i in range(0, 1400, 2)]
    assert store.seen_keys(a.id, keys) == {k for k in keys if int(k[1:]) < 700}
    assert store.seen_keys(b.id, keys) == set()
    assert store.seen_keys(a.id, []) == set()


# feeds ------------------------------------------------------------------
def test_syncing_adds_updates_disables_and_re_enables_config_feeds(store: Store) -> None:
    store.sync_feeds(feeds("A", "B"), T0)
    manual = store.add_feed("https://m.example/rss", "Manual", T0)
    renamed = [replace(feeds("A")[0], name="A2", tier="wire", interval_s=300)]
    store.sync_feeds(renamed, T0)
    state = {f.url: f for f in store.list_feeds()}
    a, b, m = (state[f"https://{x}.example/rss"] for x in "abm")
    assert (a.name, a.tier, a.interval_s, a.disabled_reason) == ("A2", "wire", 300, None)
    assert b.disabled_reason == "removed from config"
    assert (m.id, m.disabled_reason) == (manual, None)
    store.sync_feeds(feeds("A", "B"), T0)
    assert feed_named(store, "B").disabled_reason is None


def test_adding_a_feed_twice_returns_the_same_id(store: Store) -> None:
    first = store.add_feed("https://m.example/rss", "M", T0, tier="outlet")
    assert store.add_feed("https://m.example/rss", "Other name", T0) == first
    [feed] = store.list_feeds()
    assert (feed.id, feed.name, feed.tier, feed.next_check_at) == (first, "M", "outlet", T0)


def test_feeds_are_listed_by_name(store: Store) -> None:
    store.sync_feeds(feeds("b", "C", "a"), T0)
    assert [f.name for f in store.list_feeds()] == ["a", "b", "C"]


# review -----------------------------------------------------------------
def poll(store: Store, name: str, *new: NewItem, at: datetime = T0) -> Feed:
    """Add feed `name` (once) and complete one poll of it at `at` storing `new`."""
    url = f"https://{name.lower()}.example/rss"
    store.add_feed(url, name, at)
    feed = claim_one(store, url, now=at)
    assert store.complete_feed(result(feed, *new, at=at), "w1")
    return feed


def hit(key: str, *matches: Match, primary: str | None = None) -> NewItem:
    return NewItem(
        item(key, geo=GeoTags(countries=(primary,) if primary else (), primary=primary)), matches
    )


def test_matches_are_listed_newest_first_with_their_item_feed_and_story(store: Store) -> None:
    poll(store, "Wire", hit("old", rocket(), primary="IQ"), at=T0)
    poll(store, "Wire", hit("new", rocket(), primary="IQ"), at=T0 + timedelta(hours=1))
    newest, oldest = store.list_matches()
    assert (newest.title, oldest.title) == ("title new", "title old")
    assert (newest.source, newest.link, newest.severity) == (
        "Wire",
        "https://x.example/new",
        "urgent",
    )
    assert (newest.matched_at, newest.primary_region, newest.status) == (
        T0 + timedelta(hours=1),
        "IQ",
        "new",
    )
    assert newest.story_id is not None and newest.story_outlets == 1
    assert newest.story_id != oldest.story_id
    assert [m.title for m in store.list_matches(limit=1)] == ["title new"]


def test_matches_are_filtered_by_time_rule_region_and_status(store: Store) -> None:
    other = Match(rule="kyiv", severity="normal", terms=("drone",), regions=("UA",))
    poll(store, "Wire", hit("a", rocket(), primary="IQ"), at=T0)
    poll(
        store,
        "Wire",
        hit("b", rocket(regions=("SY",)), other, primary="LB"),
        at=T0 + timedelta(hours=2),
    )
    recent = store.list_matches(since=T0 + timedelta(hours=1))
    assert [(m.rule, m.title) for m in recent] == [("kyiv", "title b"), ("iraq-attacks", "title b")]
    assert [m.title for m in store.list_matches(rule="kyiv")] == ["title b"]
    assert sorted(m.title for m in store.list_matches(region="IQ")) == ["title a"]
    assert sorted((m.rule, m.title) for m in store.list_matches(region="LB")) == [
        ("iraq-attacks", "title b"),
        ("kyiv", "title b"),
    ]
    assert [m.rule for m in store.list_matches(region="UA")] == ["kyiv"]
    assert len(store.list_matches(status="new")) == 3
    assert store.list_matches(status="starred") == []


def test_items_come_back_newest_first_with_their_places(store: Store) -> None:
    geo = GeoTags(
        countries=("IQ", "US"),
        primary="IQ",
        places=(Place("Baghdad", "IQ", 10, 17), Place("Green Zone", "IQ", 0, 10, field="title")),
    )
    poll(
        store,
        "Wire",
        NewItem(item("dated", published=T0 - timedelta(days=3), geo=geo)),
        NewItem(item("undated")),
        at=T0,
    )
    poll(store, "Wire", NewItem(item("later")), at=T0 + timedelta(hours=1))
    items = list(store.iter_items())
    assert [i.key for i in items] == ["later", "undated", "dated"]
    dated = items[2]
    assert (dated.geo, dated.source, dated.published_at) == (geo, "Wire", T0 - timedelta(days=3))
    assert (dated.fetched_at, dated.link) == (T0, "https://x.example/dated")
    assert [i.key for i in store.iter_items(since=T0 - timedelta(days=1))] == ["later", "undated"]
    assert store.count_items() == 3
    assert store.count_items(since=T0 + timedelta(minutes=30)) == 1


def test_iterating_many_items_pages_through_all_of_them_once(store: Store) -> None:
    news = [NewItem(item(f"k{i:04}", published=T0 - timedelta(minutes=i % 7))) for i in range(1234)]
    poll(store, "Wire", *news)
    items = list(store.iter_items())
    assert sorted(i.key for i in items) == sorted(n.item.key for n in news)
    times = [i.published_at for i in items if i.published_at is not None]
    assert len(times) == len(items)
    assert times == sorted(times, reverse=True)


def test_each_new_item_starts_a_story_with_its_outlet(store: Store) -> None:
    poll(store, "Wire", hit("a", rocket(), primary="IQ"), at=T0)
    poll(store, "Other", hit("b", primary="UA"), at=T0 + timedelta(hours=2))
    stories = store.list_stories()
    assert [(s.title, s.outlets, s.outlet_count, s.primary_region, s.updated) for s in stories] == [
        ("title b", ("Other",), 1, "UA", False),
        ("title a", ("Wire",), 1, "IQ", False),
    ]
    assert (stories[1].first_seen, stories[1].last_seen) == (T0, T0)
    [match] = store.list_matches()
    assert (match.story_id, (match.item_id,)) == (stories[1].id, stories[1].item_ids)
    assert [s.title for s in store.list_stories(since=T0 + timedelta(hours=1))] == ["title b"]
    assert [s.title for s in store.list_stories(region="IQ")] == ["title a"]


# cycles -----------------------------------------------------------------
def test_the_last_recorded_cycle_is_returned(store: Store) -> None:
    assert store.last_cycle() is None
    first = CycleStats(T0, T0 + timedelta(seconds=5), feeds=3, new_items=4, matches=1, errors=1)
    second = CycleStats(
        T0 + timedelta(minutes=1), T0 + timedelta(minutes=1, seconds=2), feeds=2, lost_leases=1
    )
    store.record_cycle(first)
    store.record_cycle(second)
    assert store.last_cycle() == second


# workers ----------------------------------------------------------------
def test_heartbeats_list_workers_and_a_restart_under_the_same_name_starts_a_new_run(
    store: Store,
) -> None:
    assert store.schema_is_current()
    store.heartbeat("w1", "host-a", 10, T0, 0)
    store.heartbeat("w1", "host-a", 10, T0 + timedelta(seconds=5), 7)
    store.heartbeat("w2", "host-b", 20, T0, 0)
    store.heartbeat("w2", "host-b", 20, T0 + timedelta(seconds=9), 1, stopped=True)
    w1, w2 = store.list_workers()
    assert (w1.name, w1.host, w1.pid, w1.started_at, w1.last_heartbeat_at, w1.feeds_polled) == (
        "w1", "host-a", 10, T0, T0 + timedelta(seconds=5), 7
    )
    assert (w2.name, w2.stopped_at) == ("w2", T0 + timedelta(seconds=9))
    store.heartbeat("w1", "host-a", 11, T0 + timedelta(minutes=1), 0)
    restarted = store.list_workers(since=T0 + timedelta(seconds=30))
    assert [(w.name, w.pid, w.started_at) for w in restarted] == [
        ("w1", 11, T0 + timedelta(minutes=1))
    ]


def test_outbox_senders_claiming_at_once_never_get_the_same_row(store: Store) -> None:
    from monitor.types import OutboxMessage

    feed = claim_one_new(store)
    messages = tuple(
        OutboxMessage("feed_health", "ops@example.org", f"health:{i}", {"n": i}) for i in range(30)
    )
    assert store.complete_feed(result(feed, outbox=messages), "w1")
    got: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        while rows := store.claim_outbox(T0, f"s{n}", LEASE_S, 2):
            with lock:
                got.extend(r.id for r in rows)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == len(set(got)) == 30


def claim_one_new(store: Store) -> Feed:
    store.sync_feeds(feeds("A"), T0)
    return claim_one(store, "https://a.example/rss")


def test_a_hosts_retry_after_holds_its_other_feeds_for_every_worker(
    open_store: OpenStore,
) -> None:
    first, second = open_store(), open_store()
    first.sync_feeds(
        [*(FeedConfig(url=f"https://wire.example/{n}.xml", name=n) for n in "ab"),
         *feeds("Other")], T0,
    )
    a = claim_one(first, "https://wire.example/a.xml")
    until = T0 + timedelta(minutes=30)
    busy = result(a, status=429, error="HTTP 429", host_backoff_until=until,
                  next_check_at=until + timedelta(hours=1))
    assert first.complete_feed(busy, "w1")
    soon = T0 + timedelta(minutes=29)
    assert [f.name for f in second.claim_due_feeds(soon, "w2", LEASE_S, 10)] == ["Other"]
    assert [f.name for f in second.claim_due_feeds(until, "w2", LEASE_S, 10)] == ["b"]


def test_copies_of_one_story_stored_by_workers_at_once_make_one_story(
    open_store: OpenStore,
) -> None:
    from monitor.stories import fingerprint

    names = ("A", "B", "C", "D")
    open_store().sync_feeds(feeds(*names), T0)
    workers = [open_store() for _ in names]
    gate = threading.Barrier(len(names))
    title = "Rockets hit Baghdad's Green Zone near U.S. Embassy"
    text = "BAGHDAD - Two rockets struck the Green Zone near the U.S. Embassy on Sunday."

    def work(store: Store, name: str) -> None:
        gate.wait()
        story = store.assign_story(fingerprint(title, text), T0, "IQ")
        feed = claim_one(store, f"https://{name.lower()}.example/rss", owner=name)
        copy = replace(item(f"{name}-1"), title=title, summary=text)
        done = result(feed, NewItem(copy, (), story.story_id, story.updated))
        completed.append(store.complete_feed(done, name))

    completed: list[bool] = []
    threads = [
        threading.Thread(target=work, args=pair) for pair in zip(workers, names, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert completed == [True] * 4
    [story] = workers[0].list_stories()
    assert (story.outlet_count, sorted(story.outlets)) == (4, list(names))


def test_a_worker_sees_the_stories_others_start_after_it_loaded_its_window(
    open_store: OpenStore,
) -> None:
    from monitor.stories import fingerprint

    rockets = ("Rockets hit Baghdad's Green Zone", "BAGHDAD - Two rockets struck the Green Zone.")
    again = ("Rockets strike Green Zone in Baghdad", "Two rockets hit Baghdad's Green Zone.")
    kenya = ("Kenya's parliament passes finance bill", "NAIROBI - Lawmakers approved the bill.")
    first, second = open_store(), open_store()
    loaded = first.assign_story(fingerprint(*kenya), T0, "KE")  # first's window is loaded
    started = second.assign_story(fingerprint(*rockets), T0, "IQ")

    joined = first.assign_story(fingerprint(*again), T0 + timedelta(minutes=20), "IQ")

    assert joined.story_id == started.story_id != loaded.story_id
