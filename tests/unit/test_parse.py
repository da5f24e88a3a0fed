"""Feed parsing: fixture documents with their expected entries beside them, and the rules behind
each field (keys, links, dates, summaries, encodings, fallback).

The `<name>.expected.json` files hold the entries as `monitor parse <name> --jsonl` prints them
(a `<name>.headers.json` beside a fixture holds the HTTP headers it is parsed with); they were
produced by the parser and checked by hand. feedparser is the reference: both parser paths must
agree on every fixture.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.cli.parse_cmd import entry_json
from monitor.errors import ParseError
from monitor.parse import _base_url, _fastfeedparser, _feedparser, parse_feed, read_feed
from monitor.parse_entry import FeedContext, entry_key, normalise_entry, sensible_date
from monitor.parse_screen import screen
from monitor.types import Entry
from tests.support.feed_server import FeedServer, Route

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"
DOCUMENTS = sorted(
    p
    for p in FIXTURES.iterdir()
    if p.suffix in (".xml", ".json") and not p.name.endswith((".expected.json", ".headers.json"))
)
XML_DOCUMENTS = [p for p in DOCUMENTS if p.suffix == ".xml"]


def headers_for(path: Path) -> dict[str, str] | None:
    side = path.with_name(path.stem + ".headers.json")
    return json.loads(side.read_text()) if side.exists() else None


def expected_for(path: Path) -> list[dict[str, Any]]:
    expected: list[dict[str, Any]] = json.loads(
        path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8")
    )
    return expected


def rss(items: str, channel_extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://site.example/</link>{channel_extra}{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_each_fixture_parses_to_its_expected_entries(path: Path) -> None:
    feed = parse_feed(path.read_bytes(), headers_for(path))
    assert [entry_json(e) for e in feed.entries] == expected_for(path)


def _entries_with(parser: Any, path: Path) -> list[Entry | None]:
    screened = screen(path.read_bytes(), headers_for(path))
    _title, raws, link = parser(screened.data, None)
    ctx = FeedContext.of(_base_url(screened, None, link), None)
    return [normalise_entry(raw, ctx) for raw in raws]


@pytest.mark.parametrize("path", XML_DOCUMENTS, ids=lambda p: p.name)
def test_fastfeedparser_agrees_with_feedparser_on_each_fixture(path: Path) -> None:
    fast = _entries_with(_fastfeedparser, path)
    reference = _entries_with(_feedparser, path)
    fields = ("key", "title", "link", "summary", "author", "published_at")

    def view(entries: list[Entry | None]) -> list[tuple[object, ...] | None]:
        return [tuple(getattr(e, f) for f in fields) if e else None for e in entries]

    assert view(fast) == view(reference)


def test_it_reads_the_rss_ttl_in_seconds() -> None:
    assert parse_feed((FIXTURES / "rss2.xml").read_bytes()).ttl_s == 15 * 60
    assert parse_feed((FIXTURES / "atom.xml").read_bytes()).ttl_s is None


def test_it_keeps_the_feed_title_as_plain_text() -> None:
    assert parse_feed((FIXTURES / "atom.xml").read_bytes()).title == (
        "Broadcaster & Co — Middle East"
    )


def test_relative_links_resolve_against_the_document_url_when_given() -> None:
    body = rss("<item><title>a</title><link>/a/1</link></item>")
    feed = parse_feed(body, url="https://cdn.example.net/feeds/x.xml")
    assert feed.entries[0].link == "https://cdn.example.net/a/1"
    assert feed.entries[0].key == "https://cdn.example.net/a/1"


def test_relative_links_resolve_against_the_feed_link_without_a_url() -> None:
    feed = parse_feed(rss("<item><title>a</title><link>a/1</link></item>"))
    assert feed.entries[0].link == "https://site.example/a/1"


def test_the_summary_html_is_sanitised_and_the_text_has_no_markup() -> None:
    [entry] = parse_feed((FIXTURES / "hostile_html.xml").read_bytes()).entries[:1]
    lowered = entry.summary_html.lower()
    for inert in (
        "<script",
        "onerror",
        "onclick",
        "<form",
        "<input",
        "<iframe",
        "<style",
        "javascript:",
        "data:",
    ):
        assert inert not in lowered
    assert '<a href="https://safe.example.org/" rel="noopener noreferrer">' in entry.summary_html
    assert "<" not in entry.summary


def test_the_longer_body_wins_over_a_teaser() -> None:
    [entry] = parse_feed((FIXTURES / "rss2.xml").read_bytes()).entries[:1]
    assert "Sirens sounded" in entry.summary


def test_the_content_type_charset_is_honoured() -> None:
    body = (FIXTURES / "cp1251_header.xml").read_bytes()
    with_header = parse_feed(body, {"content-type": "text/xml; charset=windows-1251"})
    assert with_header.entries[0].title == "Переговоры в Минске продолжаются"
    assert parse_feed(body).entries[0].title != with_header.entries[0].title


def test_the_http_charset_wins_over_the_xml_prolog() -> None:
    body = rss("<item><title>Zürich</title><link>https://x.example/1</link></item>")
    declared = body.replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')
    assert (
        parse_feed(declared, {"Content-Type": "application/rss+xml; charset=utf-8"})
        .entries[0]
        .title
        == "Zürich"
    )


def test_a_latin1_label_on_valid_utf8_is_a_server_default_and_utf8_wins() -> None:
    body = rss("<item><title>Zürich — Genève</title><link>https://x.example/1</link></item>")
    feed = parse_feed(body, {"Content-Type": "text/xml; charset=ISO-8859-1"})
    assert feed.entries[0].title == "Zürich — Genève"


def test_it_falls_back_to_feedparser_when_fastfeedparser_finds_no_entries() -> None:
    # Items outside <channel> and a broken channel: feedparser's loose parser still reads them.
    body = b'<rss version="2.0"><channel><title>x</title></channel>' + (
        b"<item><title>Stray item</title><link>https://x.example/s</link></item></rss>"
    )
    assert [e.title for e in parse_feed(body).entries] == ["Stray item"]


def test_bare_ampersands_stay_text_and_cdata_is_left_alone() -> None:
    feed = parse_feed(
        rss(
            "<item><title>AT&T wins & more</title>"
            "<link><![CDATA[https://x.example/1?a=1&b=2]]></link>"
            "<description>Q&A: a &lt; b</description></item>"
        )
    )
    [entry] = feed.entries
    assert (entry.title, entry.link, entry.summary) == (
        "AT&T wins & more",
        "https://x.example/1?a=1&b=2",
        "Q&A: a < b",
    )


def test_read_feed_identifies_every_entry_and_summarises_only_the_ones_asked_for() -> None:
    document = read_feed((FIXTURES / "rss2.xml").read_bytes())
    assert document.keys == tuple(e["id"] for e in expected_for(FIXTURES / "rss2.xml"))
    assert len(document.published) == 3 and document.ttl_s == 900
    fresh = document.entries(skip=set(document.keys[1:]))
    assert [e.key for e in fresh] == [document.keys[0]]
    assert fresh == parse_feed((FIXTURES / "rss2.xml").read_bytes()).entries[:1]


def test_entries_repeated_by_the_publisher_are_kept_once() -> None:
    item = "<item><guid>g1</guid><title>{}</title></item>"
    feed = parse_feed(rss(item.format("first") + item.format("second")))
    assert [e.title for e in feed.entries] == ["first"]


def test_an_entry_without_a_title_gets_the_start_of_its_summary() -> None:
    words = " ".join(["word"] * 60)
    feed = parse_feed(rss(f"<item><guid>g</guid><description>{words}</description></item>"))
    title = feed.entries[0].title
    assert title.endswith("…") and len(title) <= 121 and title.startswith("word word")


@pytest.mark.parametrize(
    ("guid", "link", "title", "published", "summary", "expected"),
    [
        ("abc", "https://x.example/1", "t", None, "", "abc"),
        ("  abc\n", None, "", None, "", "abc"),
        (None, "https://x.example/1", "t", None, "", "https://x.example/1"),
        ("", "https://x.example/1", "t", None, "", "https://x.example/1"),
        ("x" * 600, None, "", None, "", "sha1:" + "0" * 40),
        (None, None, "t", datetime(2026, 1, 1, tzinfo=UTC), "", "sha1:" + "0" * 40),
        (None, None, "", None, "only text", "sha1:" + "0" * 40),
        (None, None, "", None, "", None),
    ],
)
def test_the_entry_key_is_the_guid_else_the_link_else_a_hash(
    guid: str | None,
    link: str | None,
    title: str,
    published: datetime | None,
    summary: str,
    expected: str | None,
) -> None:
    key = entry_key(guid, link, title, published, summary)
    if expected is not None and expected.startswith("sha1:"):
        assert key is not None and key.startswith("sha1:") and len(key) == 45
    else:
        assert key == expected


def test_hash_keys_change_with_the_title_or_the_date_but_not_the_summary() -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC)
    key = entry_key(None, None, "t", day, "a")
    assert key == entry_key(None, None, "t", day, "b")
    assert key != entry_key(None, None, "u", day, "a")
    assert key != entry_key(None, None, "t", None, "a")


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        (None, NOW, None),
        (datetime(2026, 11, 25, 15, 0), NOW, datetime(2026, 11, 25, 15, 0, tzinfo=UTC)),
        (datetime(1970, 1, 1, tzinfo=UTC), NOW, None),
        (datetime(2026, 11, 27, tzinfo=UTC), NOW, None),
        (datetime(2026, 11, 27, tzinfo=UTC), None, datetime(2026, 11, 27, tzinfo=UTC)),
        (datetime(2150, 1, 1, tzinfo=UTC), None, None),
    ],
)
def test_dates_are_utc_and_placeholders_or_future_dates_become_unknown(
    value: datetime | None, now: datetime | None, expected: datetime | None
) -> None:
    result = sensible_date(value, now)
    assert result == expected
    assert result is None or result.utcoffset() is not None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"<!DOCTYPE html><html><body>Not found</body></html>",
        b'<?xml version="1.0"?><html><body>x</body></html>',
        b"plain text error page",
        b'{"error": "rate limited"}',
        b'<rss version="2.0"><channel><title>empty</title></channel></rss>',
    ],
)
def test_documents_without_entries_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body)


def test_the_cli_prints_one_json_line_per_entry() -> None:
    path = FIXTURES / "rss2.xml"
    result = CliRunner().invoke(main, ["parse", str(path), "--jsonl"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines == expected_for(path)


def test_the_cli_prints_a_table_without_jsonl() -> None:
    result = CliRunner().invoke(main, ["parse", str(FIXTURES / "atom.xml"), "--config", "x.toml"])
    assert result.exit_code == 0, result.output
    assert "Explosions heard in Baghdad" in result.output


def test_the_cli_exits_1_with_one_line_when_nothing_parses(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"<html><body>\nnot a feed\n</body></html>")
    for target in (page, tmp_path / "missing.xml"):
        result = CliRunner().invoke(main, ["parse", str(target), "--jsonl"])
        assert result.exit_code == 1
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("error: ")


@pytest.fixture(scope="module")
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def test_the_cli_fetches_a_url_and_honours_its_content_type_charset(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    body = (FIXTURES / "cp1251_header.xml").read_bytes()
    headers = {"Content-Type": "application/rss+xml; charset=windows-1251"}
    feed_server.routes["/feed.xml"] = Route(body=body, headers=headers)
    config = tmp_path / "monitor.toml"
    config.write_text("[fetch]\nallow_private_networks = true\n")
    args = ["parse", feed_server.url("/feed.xml"), "--jsonl", "--config", str(config)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == expected_for(
        FIXTURES / "cp1251_header.xml"
    )


def test_the_cli_exits_1_when_the_url_cannot_be_fetched(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text("[fetch]\nallow_private_networks = true\n")
    result = CliRunner().invoke(
        main, ["parse", feed_server.url("/missing.xml"), "--config", str(config)]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "404" in result.stderr
