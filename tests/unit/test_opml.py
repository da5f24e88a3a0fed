from __future__ import annotations

import pytest

from monitor.errors import ParseError
from monitor.opml import parse_opml, render_opml
from monitor.types import Feed


def test_nested_outlines_are_flattened_and_duplicates_dropped() -> None:
    data = (
        b'<opml version="1.0"><body><outline text="World">'
        b'<outline title="A" xmlUrl="https://a.example/rss"/>'
        b'<outline text="A again" xmlUrl="https://a.example/rss"/></outline>'
        b'<outline text="B" xmlUrl="https://b.example/feed"/></body></opml>'
    )

    parsed = parse_opml(data)

    assert [(f.url, f.name) for f in parsed.feeds] == [
        ("https://a.example/rss", "A"),
        ("https://b.example/feed", "B"),
    ]
    assert parsed.rejected == ()


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/xml,x", "http:///nohost"]
)
def test_entries_that_are_not_http_feeds_are_rejected_with_a_reason(url: str) -> None:
    data = f'<opml><body><outline text="X" xmlUrl="{url}"/></body></opml>'.encode()

    parsed = parse_opml(data)

    assert (
        parsed.feeds == () and len(parsed.rejected) == 1 and "outline 1 (X)" in parsed.rejected[0]
    )


@pytest.mark.parametrize("data", [b"<html><body/></html>", b"not xml at all", b""])
def test_documents_that_are_not_opml_raise_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_opml(data)


def test_export_round_trips_names_with_markup_characters() -> None:
    feeds = [Feed(id=1, url="https://x.example/rss?a=1&b=2", name='Q&A "news" <world>')]

    parsed = parse_opml(render_opml(feeds).encode())

    assert [(f.url, f.name) for f in parsed.feeds] == [(feeds[0].url, feeds[0].name)]
