"""Feed documents → `ParsedFeed`: the only module that imports the feed parsers.

    bytes + headers ─► screen (size, garbage, not-a-feed, DOCTYPE, references; → UTF-8)
                        ├► JSON Feed: parse_jsonfeed, item by item
                        └► fastfeedparser ──(raised · no entries · fewer than the document's
                            │                item/entry tags)──► feedparser (bounded input)
                            └► RawEntry ─► identify_entry (key, title, link, date)
                                            └► complete_entry (nh3, plain text) ─► Entry

fastfeedparser is over 100x faster on news-sized feeds (bench/parse.md); feedparser reads some
broken documents it cannot and is the reference in tests. Neither may fetch anything: both get
bytes (feedparser a stream, since it fetches URLs given as strings). Whatever a parser raises
becomes a ParseError, chained. Pure.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.errors import ParseError
from monitor.parse_entry import (
    Body,
    FeedContext,
    PendingEntry,
    RawEntry,
    complete_entry,
    identify_entry,
    title_text,
)
from monitor.parse_jsonfeed import parse_json_feed
from monitor.parse_screen import MAX_ENTRIES, Screened, screen, unclosed_tags
from monitor.sanitize import resolve_link
from monitor.types import Entry, ParsedFeed

log = logging.getLogger(__name__)

# feedparser is pure Python: ~150 ms per 100 KB of news (1.5 s for 0.9 MB), and super-linear
# on deeply nested tags (1M levels: 255 s, 430 MB). It is a fallback, so it gets small inputs.
FEEDPARSER_MAX_BYTES = 512 * 1024
FEEDPARSER_MAX_UNCLOSED = 2000
MAX_FEED_TITLE_LEN = 300


@dataclass(frozen=True)
class FeedDocument:
    """A parsed document with its entries identified (key, title, link, date) but not yet
    summarised: a poll asks the store which keys are new and pays for nh3 only for those."""

    title: str | None
    ttl_s: int | None
    pending: tuple[PendingEntry, ...]
    context: FeedContext

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.pending)

    @property
    def published(self) -> tuple[datetime, ...]:
        return tuple(p.published for p in self.pending if p.published is not None)

    def entries(self, skip: Container[str] = frozenset()) -> tuple[Entry, ...]:
        """The entries whose keys are not in `skip`, cleaned and summarised, in document order."""
        return tuple(complete_entry(p, self.context) for p in self.pending if p.key not in skip)


def parse_feed(
    body: bytes,
    headers: Mapping[str, str] | None = None,
    url: str | None = None,
    *,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse one fetched document. `url` (where it came from) resolves relative links; `now`,
    when given, makes dates more than a day ahead of it unknown. Raises ParseError only."""
    with _only_parse_errors():
        document = _read(body, headers, url, now)
        return ParsedFeed(title=document.title, entries=document.entries(), ttl_s=document.ttl_s)


def read_feed(
    body: bytes,
    headers: Mapping[str, str] | None = None,
    url: str | None = None,
    *,
    now: datetime | None = None,
) -> FeedDocument:
    """`parse_feed` in two steps: identify every entry now, summarise with `.entries(skip)`
    only those not seen before. Raises ParseError only."""
    with _only_parse_errors():
        return _read(body, headers, url, now)


@contextmanager
def _only_parse_errors() -> Iterator[None]:
    try:
        yield
    except ParseError:
        raise
    except Exception as e:  # a parser bug on hostile input is still this feed's problem
        raise ParseError(f"feed could not be parsed: {type(e).__name__}: {e}") from e


def _read(
    body: bytes, headers: Mapping[str, str] | None, url: str | None, now: datetime | None
) -> FeedDocument:
    screened = screen(body, headers)
    title, raw_entries, link = _raw_feed(screened, url)
    ctx = FeedContext.of(_base_url(screened, url, link), now)
    pending = _dedupe(identify_entry(raw, ctx) for raw in raw_entries[:MAX_ENTRIES])
    if not pending:
        raise ParseError("no usable entries (none had a title, link, id or text)")
    feed_title = title_text(title, MAX_FEED_TITLE_LEN) or None
    return FeedDocument(title=feed_title, ttl_s=screened.ttl_s, pending=pending, context=ctx)


_Feed = tuple[str | None, list[RawEntry], str | None]


def _raw_feed(screened: Screened, url: str | None) -> _Feed:
    """(title, entries, feed link) from the first parser that reads entries; else ParseError."""
    if screened.is_json:
        feed: _Feed | None = parse_json_feed(screened.data)
        error = None
    else:
        feed, error = _run(_fastfeedparser, screened, url)
    if _wants_fallback(screened, feed) and _feedparser_allowed(screened):
        second, fp_error = _run(_feedparser, screened, url)
        if second is not None and len(second[1]) > len(feed[1] if feed else ()):
            feed = second
        error = error or fp_error
    if feed is None or not feed[1]:
        reason = f": {error}" if error else " (no entries)"
        raise ParseError(f"nothing could be parsed{reason}") from error
    return feed


def _run(
    parser: Callable[[bytes, str | None], _Feed], screened: Screened, url: str | None
) -> tuple[_Feed | None, Exception | None]:
    """Run one parser; its exception is returned (the other parser may still succeed)."""
    name = getattr(parser, "__name__", "parser")
    started = time.perf_counter()
    try:
        result: _Feed = parser(screened.data, url)
        return result, None
    except Exception as e:
        log.debug("parser_failed parser=%s error=%r", name, e)
        return None, e
    finally:
        elapsed = time.perf_counter() - started
        if elapsed > 1.0:
            log.warning(
                "parse_slow parser=%s bytes=%d duration_s=%.2f",
                name,
                len(screened.data),
                elapsed,
            )


def _wants_fallback(screened: Screened, feed: _Feed | None) -> bool:
    if screened.is_json:
        return False
    # fastfeedparser returning fewer entries than the document has tags means it stopped early.
    return feed is None or not feed[1] or len(feed[1]) < screened.entry_tags


def _feedparser_allowed(screened: Screened) -> bool:
    data = screened.data
    return len(data) <= FEEDPARSER_MAX_BYTES and unclosed_tags(data) <= FEEDPARSER_MAX_UNCLOSED


def _fastfeedparser(data: bytes, url: str | None) -> _Feed:
    import fastfeedparser

    # Bytes, never str: fastfeedparser fetches a str that looks like a URL.
    parsed = fastfeedparser.parse(
        data, include_tags=False, include_media=False, include_enclosures=False
    )
    meta = parsed.get("feed") or {}
    entries = [_from_ffp(e) for e in parsed.get("entries") or () if isinstance(e, dict)]
    return _str(meta.get("title")), entries, _str(meta.get("link"))


def _from_ffp(e: Mapping[str, Any]) -> RawEntry:
    bodies = [Body(_str(e.get("description")) or "")]
    bodies += _content_bodies(e.get("content"))
    guid, link = _str(e.get("id")), _str(e.get("link"))
    return RawEntry(
        # fastfeedparser fills a missing guid with the raw link; the key must use the resolved one.
        guid=None if guid == link else guid,
        title=_str(e.get("title")) or "",
        link=link,
        bodies=tuple(bodies),
        author=_str(e.get("author")),
        published=_iso_date(e.get("published")) or _iso_date(e.get("updated")),
    )


def _feedparser(data: bytes, url: str | None) -> _Feed:
    import feedparser

    headers = {"content-type": "application/xml; charset=utf-8"}
    if url:
        headers["content-location"] = url
    # A stream, never bytes or str: feedparser opens URLs and file paths it is given as strings.
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    meta = parsed.get("feed") or {}
    entries = [_from_feedparser(e) for e in parsed.get("entries") or ()]
    return _str(meta.get("title")), entries, _str(meta.get("link"))


def _from_feedparser(e: dict[str, Any]) -> RawEntry:
    summary = e.get("summary_detail") or {}
    bodies = [Body(_str(e.get("summary")) or "", _is_html(summary.get("type")))]
    bodies += _content_bodies(e.get("content"))
    return RawEntry(
        guid=_str(e.get("id")),
        title=_str(e.get("title")) or "",
        link=_str(e.get("link")),
        bodies=tuple(bodies),
        author=_str(e.get("author")),
        # dict.get: feedparser's own get() warns when it maps updated_parsed to published_parsed.
        published=_struct_date(dict.get(e, "published_parsed"))
        or _struct_date(dict.get(e, "updated_parsed")),
    )


def _content_bodies(content: object) -> list[Body]:
    if not isinstance(content, list):
        return []
    return [
        Body(value, _is_html(part.get("type")))
        for part in content
        if isinstance(part, dict) and isinstance(value := part.get("value"), str)
    ]


def _is_html(content_type: object) -> bool:
    return content_type != "text/plain"


def _str(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # JSON Feed ids may be numbers
    return None


def _iso_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _struct_date(value: object) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _base_url(screened: Screened, url: str | None, feed_link: str | None) -> str | None:
    """Where relative links point: the root's xml:base (itself relative to the document URL),
    else the document URL, else the feed's own link."""
    base = resolve_link(url, None) or resolve_link(feed_link, None)
    if screened.xml_base:
        return resolve_link(screened.xml_base, base) or base
    return base


def _dedupe(entries: Iterable[PendingEntry | None]) -> tuple[PendingEntry, ...]:
    """The first entry of each key, in document order (some feeds repeat items)."""
    seen: dict[str, PendingEntry] = {}
    for entry in entries:
        if entry is not None and entry.key not in seen:
            seen[entry.key] = entry
    return tuple(seen.values())
