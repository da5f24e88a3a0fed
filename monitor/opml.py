"""OPML import and export of feed lists (pure: text in, values out).

Import accepts nested outlines (folders) and reports every entry it rejects with the reason, so
one bad line does not lose the rest of a subscription list.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from monitor.errors import ParseError
from monitor.types import Feed

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    name: str


@dataclass(frozen=True)
class OpmlImport:
    feeds: tuple[OpmlFeed, ...]
    rejected: tuple[str, ...]


def parse_opml(data: bytes) -> OpmlImport:
    """Feeds from an OPML document; entries that are not http(s) feeds are listed as rejected."""
    if _DOCTYPE.search(data[:4096]):
        raise ParseError("OPML with a DOCTYPE or entity declarations is refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ParseError(f"not an OPML document: {e}") from e
    if root.tag.lower() != "opml":
        raise ParseError(f"not an OPML document: root element is <{root.tag}>")
    feeds: list[OpmlFeed] = []
    rejected: list[str] = []
    seen: set[str] = set()
    for n, outline in enumerate(root.iter("outline"), start=1):
        url = (outline.get("xmlUrl") or "").strip()
        name = (outline.get("title") or outline.get("text") or "").strip()
        if not url:
            continue
        problem = _url_problem(url)
        if problem:
            rejected.append(f"outline {n} ({name or url[:80]}): {problem}")
        elif url not in seen:
            seen.add(url)
            feeds.append(OpmlFeed(url=url, name=name or urlsplit(url).hostname or url))
    return OpmlImport(tuple(feeds), tuple(rejected))


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"not an http(s) URL: {url[:200]}"
    if not parts.hostname:
        return f"URL has no host: {url[:200]}"
    if len(url) > 2048:
        return "URL longer than 2048 characters"
    return None


def render_opml(feeds: Sequence[Feed], title: str = "monitor feeds") -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{escape(title)}</title></head>",
        "  <body>",
    ]
    for feed in feeds:
        lines.append(
            f'    <outline type="rss" text={quoteattr(feed.name)} title={quoteattr(feed.name)}'
            f" xmlUrl={quoteattr(feed.url)}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
