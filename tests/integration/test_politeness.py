"""Politeness and feed health through the whole poll path, against a loopback server."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from monitor.config import EmailSettings, FeedAuth, FeedConfig
from monitor.feed_state import GONE_REASON
from monitor.store.base import Store
from tests.support.feed_server import FeedServer, Route, rss
from tests.support.polling import GREEN_ZONE, Clock, make_settings, poll

BODY = rss([GREEN_ZONE])


def outbox_rows(tmp_path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(tmp_path / "monitor.db")
    conn.row_factory = sqlite3.Row
    return conn.execute("SELECT * FROM outbox ORDER BY id").fetchall()


def test_retry_after_holds_back_every_feed_on_that_host(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/a.xml"] = Route(status=429, headers={"Retry-After": "3600"})
    feed_server.routes["/b.xml"] = Route(body=BODY)
    feeds = [
        FeedConfig(url=feed_server.url("/a.xml"), name="A"),
        FeedConfig(url=feed_server.url("/b.xml"), name="B"),
    ]
    settings = replace(make_settings(tmp_path, feeds), fetch=replace(
        make_settings(tmp_path, feeds).fetch, concurrency=1, per_host_concurrency=1
    ))  # fmt: skip
    clock = Clock()
    poll(settings, store, clock)
    clock.advance(1800)

    poll(settings, store, clock, urls=(feeds[0].url, feeds[1].url))

    assert len(feed_server.requests_to("/a.xml")) == 1
    clock.advance(1900)
    poll(settings, store, clock)
    assert len(feed_server.requests_to("/a.xml")) == 2


def test_http_date_retry_after_sets_the_next_check(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/busy.xml"] = Route(
        status=503, headers={"Retry-After": "Wed, 25 Nov 2026 14:00:00 GMT"}
    )
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/busy.xml"), name="Busy")])

    poll(settings, store, Clock())

    [feed] = store.list_feeds()
    assert feed.last_status == 503 and feed.next_check_at is not None
    assert feed.next_check_at.isoformat() == "2026-11-25T14:00:00+00:00"


def test_410_disables_the_feed_and_tells_the_admin(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/gone.xml"] = Route(status=410)
    settings = replace(
        make_settings(tmp_path, [FeedConfig(url=feed_server.url("/gone.xml"), name="Gone")]),
        email=EmailSettings(admin="ops@example.org"),
    )
    clock = Clock()

    poll(settings, store, clock)
    clock.advance(86400 * 2)
    poll(settings, store, clock)

    [feed] = store.list_feeds()
    assert feed.disabled_reason == GONE_REASON
    assert len(feed_server.requests_to("/gone.xml")) == 1
    [row] = outbox_rows(tmp_path)
    assert (row["kind"], row["recipient"]) == ("feed_health", "ops@example.org")


def test_etag_only_and_last_modified_only_servers_get_conditional_requests(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/etag.xml"] = Route(body=BODY, etag='W/"e1"')
    feed_server.routes["/lm.xml"] = Route(body=BODY, last_modified="Tue, 24 Nov 2026 08:00:00 GMT")
    feeds = [
        FeedConfig(url=feed_server.url("/etag.xml"), name="E"),
        FeedConfig(url=feed_server.url("/lm.xml"), name="L"),
    ]
    settings = make_settings(tmp_path, feeds)
    clock = Clock()
    poll(settings, store, clock)
    clock.advance(7200)

    poll(settings, store, clock)

    etag_req = feed_server.requests_to("/etag.xml")[-1].headers
    lm_req = feed_server.requests_to("/lm.xml")[-1].headers
    assert etag_req.get("if-none-match") == 'W/"e1"' and "if-modified-since" not in etag_req
    assert lm_req.get("if-modified-since") == "Tue, 24 Nov 2026 08:00:00 GMT"
    assert "if-none-match" not in lm_req
    assert {f.last_status for f in store.list_feeds()} == {304}


def test_a_changed_etag_with_the_same_last_modified_is_taken_as_new_content(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    lm = "Tue, 24 Nov 2026 08:00:00 GMT"
    feed_server.routes["/f.xml"] = Route(body=BODY, etag='"v1"', last_modified=lm)
    url = feed_server.url("/f.xml")
    settings = make_settings(tmp_path, [FeedConfig(url=url, name="F")])
    clock = Clock()
    poll(settings, store, clock)
    feed_server.routes["/f.xml"] = Route(
        body=rss([GREEN_ZONE, ("n2", "New item", "More")]), etag='"v2"', last_modified=lm
    )
    clock.advance(7200)

    poll(settings, store, clock)

    [feed] = store.list_feeds()
    assert (feed.etag, feed.last_modified, feed.items_seen) == ('"v2"', lm, 2)


def test_a_server_that_never_sends_304_is_normal(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/plain.xml"] = Route(body=BODY)
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/plain.xml"), name="P")])
    clock = Clock()
    for _ in range(3):
        poll(settings, store, clock)
        clock.advance(7200)

    [feed] = store.list_feeds()
    assert feed.last_status == 200 and feed.error_count == 0 and feed.last_error is None


def test_feed_credentials_are_sent_to_the_feed_origin_only(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    other = FeedServer(host="127.0.0.2").start()
    try:
        other.routes["/moved.xml"] = Route(body=BODY)
        feed_server.routes["/licensed.xml"] = Route(body=BODY)
        feed_server.routes["/hop.xml"] = Route(
            status=302, headers={"Location": other.url("/moved.xml")}
        )
        auth = FeedAuth(kind="bearer", secret_env="WIRE_TOKEN", secret="s3cret")
        feeds = [
            FeedConfig(url=feed_server.url("/licensed.xml"), name="L", auth=auth,
                       headers=(("X-Customer", "42"),)),
            FeedConfig(url=feed_server.url("/hop.xml"), name="H", auth=auth),
        ]  # fmt: skip

        poll(make_settings(tmp_path, feeds), store, Clock())

        sent = feed_server.requests_to("/licensed.xml")[0].headers
        assert sent["authorization"] == "Bearer s3cret" and sent["x-customer"] == "42"
        assert "authorization" not in other.requests_to("/moved.xml")[0].headers
        assert all("s3cret" not in str(f) for f in store.list_feeds())
    finally:
        other.stop()


def test_a_permanent_redirect_is_followed_but_not_adopted_at_once(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/old.xml"] = Route(status=301, headers={"Location": "/new.xml"})
    feed_server.routes["/new.xml"] = Route(body=BODY)
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/old.xml"), name="M")])

    poll(settings, store, Clock())

    [feed] = store.list_feeds()
    assert feed.items_seen == 1 and feed.fetch_url is None
    assert feed.redirect_url == feed_server.url("/new.xml") and feed.redirect_count == 1
