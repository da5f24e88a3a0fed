"""The offline demo server: sample feeds released over time, served like a polite real server."""

from __future__ import annotations

import calendar
import html
import re
import shutil
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import httpx
import pytest

from monitor.config import load_settings
from monitor.demo import (
    DEMO_EPOCH,
    DemoServer,
    conditional_response,
    load_feed,
    load_feeds,
    write_demo_config,
)
from monitor.geo import load_tagger
from monitor.match import RuleBook
from monitor.types import Item

DEMO_DIR = Path(__file__).resolve().parents[2] / "config" / "demo"
FEEDS_DIR = DEMO_DIR / "feeds"
WALL_START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()

SMALL_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:demo="urn:monitor:demo">
  <channel>
    <title>Small</title>
    <lastBuildDate>Sat, 03 Jan 2026 19:30:00 GMT</lastBuildDate>
    <item>
      <title>Later news</title>
      <guid>later</guid>
      <pubDate>Sat, 03 Jan 2026 19:31:00 GMT</pubDate>
      <demo:release>60</demo:release>
    </item>
    <item>
      <title>Soon news</title>
      <guid>soon</guid>
      <pubDate>Sat, 03 Jan 2026 19:30:30 GMT</pubDate>
      <demo:release>30</demo:release>
    </item>
    <item>
      <title>Old news</title>
      <guid>old</guid>
      <pubDate>Sat, 03 Jan 2026 17:30:00 GMT</pubDate>
      <demo:release>0</demo:release>
    </item>
  </channel>
</rss>
"""


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5) as client:
        yield client


def _serve(feeds_dir: Path, clock: FakeClock) -> Iterator[DemoServer]:
    server = DemoServer(feeds_dir, clock=clock, wall_clock=lambda: WALL_START)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def small_server(tmp_path: Path, clock: FakeClock) -> Iterator[DemoServer]:
    (tmp_path / "small.xml").write_text(SMALL_FEED, encoding="utf-8")
    yield from _serve(tmp_path, clock)


@pytest.fixture
def demo_server(clock: FakeClock) -> Iterator[DemoServer]:
    yield from _serve(FEEDS_DIR, clock)


def _titles(body: bytes) -> list[str]:
    return [str(e.title) for e in feedparser.parse(body).entries]


def _entry_time(entry: feedparser.FeedParserDict) -> datetime:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC)


def _released_bodies(server: DemoServer, http: httpx.Client) -> dict[str, bytes]:
    server.release_all()
    return {name: http.get(server.url_for(name)).content for name in server.feeds}


def test_every_demo_feed_file_is_well_formed_xml() -> None:
    files = sorted(FEEDS_DIR.glob("*.xml"))
    assert len(files) >= 6
    for path in files:
        ET.parse(path)


def test_each_demo_feed_has_8_to_15_items_and_all_formats_are_covered() -> None:
    feeds = load_feeds(FEEDS_DIR)
    assert all(8 <= len(feed.items) <= 15 for feed in feeds.values())
    types = {feed.content_type.split(";")[0] for feed in feeds.values()}
    assert types == {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}


def test_about_a_third_is_backlog_and_the_rest_arrives_within_about_two_minutes() -> None:
    offsets = [i.release_s for f in load_feeds(FEEDS_DIR).values() for i in f.items]
    backlog = sum(1 for s in offsets if s == 0) / len(offsets)
    assert 0.25 <= backlog <= 0.45
    assert 90 <= max(offsets) <= 150


def test_an_item_without_a_release_offset_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(SMALL_FEED.replace("<demo:release>30</demo:release>", ""), encoding="utf-8")
    with pytest.raises(ValueError, match="no demo:release"):
        load_feed(path)


def test_items_appear_only_after_their_release_offset(
    small_server: DemoServer, clock: FakeClock, http: httpx.Client
) -> None:
    url = small_server.url_for("small.xml")
    assert _titles(http.get(url).content) == ["Old news"]
    clock.now += 29.9
    assert _titles(http.get(url).content) == ["Old news"]
    clock.now += 0.1
    assert _titles(http.get(url).content) == ["Soon news", "Old news"]
    clock.now += 30
    assert _titles(http.get(url).content) == ["Later news", "Soon news", "Old news"]
    assert small_server.next_release_in() is None


def test_speed_releases_items_faster(tmp_path: Path, clock: FakeClock) -> None:
    (tmp_path / "small.xml").write_text(SMALL_FEED, encoding="utf-8")
    server = DemoServer(tmp_path, clock=clock, speed=10, wall_clock=lambda: WALL_START)
    server.start()
    try:
        assert server.next_release_in() == pytest.approx(3.0)
        clock.now += 3
        assert server.elapsed_s() == pytest.approx(30)
    finally:
        server.stop()


def test_an_unchanged_feed_answers_304_to_its_etag(
    small_server: DemoServer, clock: FakeClock, http: httpx.Client
) -> None:
    url = small_server.url_for("small.xml")
    first = http.get(url)
    etag = first.headers["etag"]
    again = http.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    clock.now += 30
    changed = http.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "Soon news" in _titles(changed.content)


def test_if_modified_since_counts_only_without_if_none_match() -> None:
    modified = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    later = "Wed, 25 Nov 2026 13:00:00 GMT"
    only_date = conditional_response(b"x", "text/xml", modified, {"If-Modified-Since": later})
    assert only_date.status == 304
    stale_tag = {"If-None-Match": '"stale"', "If-Modified-Since": later}
    assert conditional_response(b"x", "text/xml", modified, stale_tag).status == 200


def test_responses_carry_the_feed_content_type_and_validators(
    demo_server: DemoServer, http: httpx.Client
) -> None:
    atom = http.get(demo_server.url_for("global-wire.xml"))
    assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    rdf = http.get(demo_server.url_for("euro-public-radio.xml"))
    assert rdf.headers["content-type"] == "application/rdf+xml; charset=utf-8"
    rss = http.get(demo_server.url_for("am-wire.xml"))
    assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert rss.headers["etag"].startswith('"')
    assert parsedate_to_datetime(rss.headers["last-modified"]).timestamp() <= WALL_START


def test_unknown_paths_are_404(demo_server: DemoServer, http: httpx.Client) -> None:
    assert http.get(demo_server.base_url + "../demo.toml").status_code == 404
    assert http.get(demo_server.base_url + "nope.xml").status_code == 404


def test_release_elements_never_reach_the_client(
    demo_server: DemoServer, http: httpx.Client
) -> None:
    for name, body in _released_bodies(demo_server, http).items():
        text = body.decode("utf-8")
        assert "demo:release" not in text, name
        assert "urn:monitor:demo" not in text, name
        ET.fromstring(body)
        parsed = feedparser.parse(body)
        assert not parsed.bozo, name
        assert len(parsed.entries) == len(demo_server.feeds[name].items)


def test_rss1_sequence_lists_only_the_released_items(
    demo_server: DemoServer, http: httpx.Client
) -> None:
    body = http.get(demo_server.url_for("euro-public-radio.xml")).text
    assert body.count("<rdf:li ") == body.count("<item ") == 3


def test_served_dates_start_at_the_demo_start_and_follow_release_times(
    demo_server: DemoServer, clock: FakeClock, http: httpx.Client
) -> None:
    clock.now += 20
    entries = feedparser.parse(http.get(demo_server.url_for("am-wire.xml")).content).entries
    green_zone = next(e for e in entries if "Green Zone" in e.title)
    published = _entry_time(green_zone)
    assert published == datetime.fromtimestamp(WALL_START, UTC) + timedelta(seconds=14)
    backlog = [_entry_time(e) for e in entries[1:]]
    assert all(d < published for d in backlog)


def test_release_all_shows_everything_dated_no_later_than_now(
    demo_server: DemoServer, http: httpx.Client
) -> None:
    now = datetime.fromtimestamp(WALL_START, UTC)
    for body in _released_bodies(demo_server, http).values():
        for entry in feedparser.parse(body).entries:
            assert _entry_time(entry) <= now
    assert demo_server.next_release_in() is None


def test_the_green_zone_story_breaks_in_three_feeds_at_different_times() -> None:
    reports = {
        name: item.release_s
        for name, feed in load_feeds(FEEDS_DIR).items()
        for item in feed.items
        if "Green Zone" in item.text and "rocket" in item.text.lower()
    }
    assert len(reports) == 3
    assert len(set(reports.values())) == 3
    assert min(reports.values()) > 0
    am_wire = next(
        i.text for i in load_feed(FEEDS_DIR / "am-wire.xml").items if "Green Zone" in i.text
    )
    assert "BAGHDAD (AM) -" in am_wire


def test_no_sample_item_is_dated_after_its_release_or_long_before_the_epoch() -> None:
    for name, feed in load_feeds(FEEDS_DIR).items():
        entries = feedparser.parse((FEEDS_DIR / name).read_bytes()).entries
        for item, entry in zip(feed.items, entries, strict=True):
            dated = _entry_time(entry)
            assert dated <= DEMO_EPOCH + timedelta(seconds=item.release_s), entry.title
            assert dated >= DEMO_EPOCH - timedelta(hours=24), entry.title


def test_write_demo_config_points_feeds_at_the_server_and_makes_paths_absolute(
    tmp_path: Path,
) -> None:
    src = tmp_path / "repo" / "config" / "demo" / "demo.toml"
    src.parent.mkdir(parents=True)
    shutil.copy(DEMO_DIR / "demo.toml", src)
    written = write_demo_config(src, tmp_path / "repo" / "var" / "demo", "http://127.0.0.1:41234/")
    assert written == tmp_path / "repo" / "var" / "demo" / "monitor.toml"
    raw = tomllib.loads(written.read_text(encoding="utf-8"))
    assert all(f["url"].startswith("http://127.0.0.1:41234/") for f in raw["feeds"])
    settings = load_settings(written, {})
    db_file = tmp_path / "repo" / "var" / "demo" / "monitor.db"
    assert settings.database.url == f"sqlite:///{db_file}"
    assert settings.email.outbox_dir.resolve() == tmp_path / "repo" / "var" / "demo" / "mail"
    assert settings.email.outbox_dir.is_dir()
    assert {f.url.rsplit("/", 1)[1] for f in settings.feeds} == set(load_feeds(FEEDS_DIR))


def test_write_demo_config_refuses_a_non_loopback_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        write_demo_config(DEMO_DIR / "demo.toml", tmp_path, "http://example.org/")


def _demo_matches() -> dict[str, set[str]]:
    """Rule name → titles it matches, over every sample item, with places and regions."""
    settings = load_settings(DEMO_DIR / "demo.toml", {})
    tagger = load_tagger(settings.places)
    regions = {r.name: frozenset(r.countries) for r in settings.regions}
    book = RuleBook.build(settings.rules, regions.get)
    found: dict[str, set[str]] = {rule.name: set() for rule in settings.rules}
    for path in sorted(FEEDS_DIR.glob("*.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            title = str(entry.title)
            summary = html.unescape(re.sub(r"<[^>]+>", " ", str(entry.get("summary", ""))))
            geo = tagger.tag(summary, title=title)
            item = Item(str(entry.id), 1, path.name, title, summary, geo=geo)
            for match in book.match(item):
                found[match.rule].add(title)
    return found


def test_the_demo_rules_catch_the_green_zone_story_and_skip_the_distractors() -> None:
    found = _demo_matches()
    green_zone = {t for t in found["iraq-attacks"] if "Green Zone" in t}
    assert len(green_zone) == 3
    assert found["embassy-attacks"] == green_zone
    everything = set().union(*found.values())
    for distractor in ("stoppage-time rocket", "Rockets rally", "delivery drones"):
        assert not any(distractor in t for t in everything), distractor
    assert all(found.values()), "every demo rule matches something"
