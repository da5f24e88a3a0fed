"""poll_cycle end to end: a real loopback HTTP server, a real SQLite file, the real stages."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from monitor.config import FeedConfig
from monitor.runtime import poll_context
from monitor.store.base import Store
from tests.support.feed_server import FeedServer, Route, rss
from tests.support.polling import FOOTBALL, GREEN_ZONE, Clock, make_settings, poll


def test_it_stores_new_items_and_the_matches_of_a_feed(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/wire.xml"] = Route(body=rss([GREEN_ZONE, FOOTBALL]), etag='"v1"')
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/wire.xml"), name="Wire")])

    stats = poll(settings, store, Clock())

    matches = store.list_matches()
    assert [m.title for m in matches] == ["Rockets hit Baghdad's Green Zone"]
    assert matches[0].rule == "iraq-attacks" and matches[0].primary_region == "IQ"
    assert {"rocket*", "C-RAM"} & set(matches[0].terms)
    [feed] = store.list_feeds()
    assert (feed.last_status, feed.items_seen, feed.error_count) == (200, 2, 0)
    assert stats.new_items == 2


def test_it_sends_validators_and_stores_nothing_new_on_304(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/wire.xml"] = Route(
        body=rss([GREEN_ZONE]), etag='"v1"', last_modified="Wed, 25 Nov 2026 10:00:00 GMT"
    )
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/wire.xml"), name="Wire")])
    clock = Clock()
    poll(settings, store, clock)
    clock.advance(3600)

    stats = poll(settings, store, clock)

    second = feed_server.requests_to("/wire.xml")[-1]
    assert second.headers.get("if-none-match") == '"v1"'
    assert second.headers.get("if-modified-since") == "Wed, 25 Nov 2026 10:00:00 GMT"
    assert stats.new_items == 0
    [feed] = store.list_feeds()
    assert feed.last_status == 304 and feed.items_seen == 1 and feed.etag == '"v1"'


def test_a_failing_feed_is_recorded_and_the_cycle_goes_on(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/broken.xml"] = Route(body=b"oops", status=500)
    feed_server.routes["/garbage.xml"] = Route(body=b"\x00\x01 this is not a feed <<<")
    feed_server.routes["/ok.xml"] = Route(body=rss([GREEN_ZONE]))
    feeds = [
        FeedConfig(url=feed_server.url("/broken.xml"), name="Broken"),
        FeedConfig(url=feed_server.url("/garbage.xml"), name="Garbage"),
        FeedConfig(url=feed_server.url("/ok.xml"), name="OK"),
        FeedConfig(url="http://127.0.0.1:9/refused.xml", name="Refused"),
    ]
    clock = Clock()

    stats = poll(make_settings(tmp_path, feeds), store, clock)

    by_name = {f.name: f for f in store.list_feeds()}
    assert stats.errors == 3 and stats.new_items == 1
    assert by_name["Broken"].last_status == 500 and "500" in (by_name["Broken"].last_error or "")
    assert by_name["Garbage"].last_error and "unparseable" in by_name["Garbage"].last_error
    assert by_name["Refused"].last_status is None and by_name["Refused"].last_error
    for name in ("Broken", "Garbage", "Refused"):
        assert by_name[name].error_count == 1
        assert by_name[name].next_check_at is not None and by_name[name].next_check_at > clock()
    assert by_name["OK"].items_seen == 1


def test_a_slow_server_hits_the_deadline_and_is_recorded(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/slow.xml"] = Route(body=rss([GREEN_ZONE]), delay_s=2.0)
    settings = make_settings(
        tmp_path, [FeedConfig(url=feed_server.url("/slow.xml"), name="Slow")], timeout_s=0.5
    )

    poll(settings, store, Clock())

    [feed] = store.list_feeds()
    assert feed.last_status is None and "timed out" in (feed.last_error or "")
    assert feed.items_seen == 0


def test_feeds_not_yet_due_are_left_alone_unless_named(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/wire.xml"] = Route(body=rss([GREEN_ZONE]))
    url = feed_server.url("/wire.xml")
    settings = make_settings(tmp_path, [FeedConfig(url=url, name="Wire")])
    clock = Clock()
    poll(settings, store, clock)
    clock.advance(10)

    poll(settings, store, clock)
    assert len(feed_server.requests_to("/wire.xml")) == 1

    poll(settings, store, clock, urls=(url,))
    assert len(feed_server.requests_to("/wire.xml")) == 2


def test_the_same_entries_polled_twice_are_stored_once(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/wire.xml"] = Route(body=rss([GREEN_ZONE, FOOTBALL]))
    url = feed_server.url("/wire.xml")
    settings = make_settings(tmp_path, [FeedConfig(url=url, name="Wire")])
    clock = Clock()

    poll(settings, store, clock)
    poll(settings, store, clock, urls=(url,))

    assert store.list_feeds()[0].items_seen == 2
    assert len(store.list_matches()) == 1


def test_a_completion_after_the_lease_was_lost_writes_nothing(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/wire.xml"] = Route(body=rss([GREEN_ZONE]))
    url = feed_server.url("/wire.xml")
    settings = make_settings(tmp_path, [FeedConfig(url=url, name="Wire")])
    clock = Clock()
    store.sync_feeds(settings.feeds, clock())
    [mine] = store.claim_due_feeds(clock(), "slow-worker", 60, 10)
    clock.advance(120)
    [theirs] = store.claim_due_feeds(clock(), "other-worker", 60, 10)

    async def late_poll() -> bool:
        from monitor.pipeline import poll_feed

        async with poll_context(settings, store, clock=clock) as ctx:
            result = await poll_feed(replace(ctx, owner="slow-worker"), mine)
        return store.complete_feed(result, "slow-worker")

    assert asyncio.run(late_poll()) is False
    assert store.list_matches() == [] and theirs.lease_token != mine.lease_token


def test_three_outlets_polled_together_form_one_story_and_one_alert(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    copies = {
        "/am.xml": ("am-1", "Rockets target Baghdad's Green Zone, U.S. Embassy defence fires",
                    "BAGHDAD (AM) - Rockets struck Baghdad's Green Zone near the U.S. Embassy "
                    "late on Sunday and the embassy's C-RAM defence system fired, sources said."),
        "/gulf.xml": ("g-1", "US embassy in Baghdad activates air defences as rockets hit",
                      "The C-RAM system at the U.S. Embassy in Baghdad fired late on Sunday as "
                      "rockets struck the Green Zone, security sources said."),
        "/euro.xml": ("e-1", "Iraq: several rockets fall on the Green Zone of Baghdad",
                      "Several rockets fell on Sunday evening on the Green Zone of Baghdad, near "
                      "the American embassy, whose C-RAM defence system was activated."),
    }  # fmt: skip
    for path, entry in copies.items():
        feed_server.routes[path] = Route(body=rss([entry]))
    feeds = [FeedConfig(url=feed_server.url(p), name=p.strip("/.xml")) for p in copies]
    clock = Clock()

    poll(make_settings(tmp_path, feeds), store, clock)

    matches = store.list_matches()
    assert len(matches) == 3 and len({m.story_id for m in matches}) == 1
    assert all(m.story_outlets == 3 for m in matches)
    [story] = store.list_stories()
    assert story.outlet_count == 3
    alerts = [row for row in store.list_outbox() if row.kind == "alert"]
    assert len(alerts) == 1 and alerts[0].recipient == "duty@example.org"
