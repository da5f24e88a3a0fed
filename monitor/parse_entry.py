"""One parser entry → our `Entry`: the item key, clean strings, one summary, a UTC date.

Both parsers' entries are first reduced to a `RawEntry` (see `monitor.parse`), so the decisions
here are made once, the same way, whichever parser read the document. Pure.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import nh3

from monitor.sanitize import (
    clean_text,
    display_cleaner,
    html_to_text,
    looks_like_html,
    resolve_link,
    strip_invisible,
    text_of_safe_html,
)
from monitor.types import Entry

MAX_TITLE_LEN = 1000
MAX_SUMMARY_LEN = 20_000
MAX_HTML_INPUT = 100_000
MAX_AUTHOR_LEN = 200
MAX_KEY_LEN = 512
HEADLINE_LEN = 120
# Dates before this are placeholders (the Unix epoch, "0001-01-01"), not publication times.
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(2100, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
# Good enough to rank candidate bodies; the real text comes from nh3's parse.
_TAG = re.compile(r"<[^>]*>")


# Per-entry values are NamedTuples, not frozen dataclasses: they are built for every entry of
# every changed feed, and a frozen dataclass costs several times more to construct.
class Body(NamedTuple):
    """One candidate text of an entry (description, summary or a content element)."""

    value: str
    is_html: bool = True


class RawEntry(NamedTuple):
    """An entry as a parser gave it, before any cleaning."""

    guid: str | None
    title: str
    link: str | None
    bodies: tuple[Body, ...]
    author: str | None
    published: datetime | None


@dataclass(frozen=True)
class FeedContext:
    """What all entries of one document share, worked out once per document."""

    base_url: str | None
    now: datetime | None
    cleaner: nh3.Cleaner

    @classmethod
    def of(cls, base_url: str | None, now: datetime | None) -> FeedContext:
        return cls(base_url, now, display_cleaner(base_url))


class PendingEntry(NamedTuple):
    """An entry identified (key, title, link, date) whose summary is not worked out yet: the
    summary (nh3 and plain text) is most of the cost, and entries seen before don't need it."""

    key: str
    title: str
    link: str | None
    published: datetime | None
    raw: RawEntry
    summary: tuple[str, str] | None = None  # (html, text), when the title or key needed it


def identify_entry(raw: RawEntry, ctx: FeedContext) -> PendingEntry | None:
    """Key, title, link and date of one entry, or None when it has nothing to identify it."""
    link = resolve_link(raw.link, ctx.base_url)
    published = sensible_date(raw.published, ctx.now)
    title = title_text(raw.title, MAX_TITLE_LEN)
    summary = None
    if not title:
        summary = _summary(raw.bodies, ctx.cleaner)
        title = _headline(summary[1])
    key = entry_key(raw.guid, link, title, published, summary[1] if summary else "")
    if key is None:
        return None
    return PendingEntry(key, title, link, published, raw, summary)


def complete_entry(pending: PendingEntry, ctx: FeedContext) -> Entry:
    """The stored form of an identified entry."""
    raw = pending.raw
    summary_html, summary = pending.summary or _summary(raw.bodies, ctx.cleaner)
    author = clean_text(raw.author[:1000], max_len=MAX_AUTHOR_LEN) if raw.author else ""
    return Entry(
        key=pending.key,
        title=pending.title,
        link=pending.link,
        summary=summary,
        summary_html=summary_html,
        author=author or None,
        published_at=pending.published,
    )


def normalise_entry(raw: RawEntry, ctx: FeedContext) -> Entry | None:
    """The stored form of one entry, or None when it has nothing to identify or show."""
    pending = identify_entry(raw, ctx)
    return complete_entry(pending, ctx) if pending is not None else None


def entry_key(
    guid: str | None, link: str | None, title: str, published: datetime | None, summary: str
) -> str | None:
    """guid/id, else the link, else a hash of title and date (summary when both are missing)."""
    if guid:
        # Cut before cleaning: a multi-megabyte guid would otherwise be scanned whole.
        cleaned = clean_text(guid[: MAX_KEY_LEN * 8], max_len=MAX_KEY_LEN + 1)
        if len(cleaned) > MAX_KEY_LEN:
            return "sha1:" + hashlib.sha1(cleaned.encode("utf-8")).hexdigest()
        if cleaned:
            return cleaned
    if link:
        return link
    if title or published:
        stamp = published.isoformat() if published else ""
        return "sha1:" + hashlib.sha1(f"{title}\n{stamp}".encode()).hexdigest()
    if summary:
        return "sha1:" + hashlib.sha1(summary.encode("utf-8")).hexdigest()
    return None


def sensible_date(value: datetime | None, now: datetime | None) -> datetime | None:
    """UTC, or None for placeholders (before 1990) and dates in the future (a day of slack
    for clocks and wrong time zones): an unknown date is better than a wrong one."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    latest = now + FUTURE_SLACK if now is not None else LATEST_DATE
    if value < EARLIEST_DATE or value > latest:
        return None
    return value


def title_text(raw: str | None, max_len: int) -> str:
    """A title as plain text: markup and entities (Atom type="html", double-escaped RSS)
    decoded only when present, since most titles are already plain."""
    if not raw:
        return ""
    raw = raw[: max_len * 4]  # markup and entities aside, nothing past this survives anyway
    if looks_like_html(raw):
        raw = html_to_text(raw)
    return clean_text(raw, max_len=max_len)


def _headline(summary: str) -> str:
    """A title for an entry without one (JSON Feed and microblog posts): the summary's start."""
    first = summary.split("\n", 1)[0]
    if len(first) <= HEADLINE_LEN:
        return first
    cut = first[:HEADLINE_LEN].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def _summary(bodies: tuple[Body, ...], cleaner: nh3.Cleaner) -> tuple[str, str]:
    """(sanitised HTML, plain text) of the most useful body: the longest once tags are gone, so
    a teaser loses to the full text but an image-only content element loses to a description."""
    candidates = list({b.value: b for b in bodies if b.value and not b.value.isspace()}.values())
    if not candidates:
        return "", ""
    best = candidates[0]
    if len(candidates) > 1:
        best = max(candidates, key=_rough_text_length)
    value = best.value[:MAX_HTML_INPUT]
    if not best.is_html:
        value = html.escape(value).replace("\n", "<br>")
    # Stripped before nh3 as well: it cannot take lone surrogates (JSON "\ud800" makes them).
    safe = strip_invisible(cleaner.clean(strip_invisible(value)))
    return safe, text_of_safe_html(safe, max_len=MAX_SUMMARY_LEN)


def _rough_text_length(body: Body) -> int:
    value = body.value[:MAX_HTML_INPUT]  # only this much is ever used
    if not body.is_html or "<" not in value:
        return len(value)
    return len(_TAG.sub("", value))
