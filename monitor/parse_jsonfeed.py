"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) → raw entries.

fastfeedparser reads JSON Feed too, but one malformed item (a number where an object belongs,
a numeric date, `"authors": "x"`) makes it raise for the whole feed. The format is small, so it
is read here, item by item: whatever does not have the type the spec gives is ignored.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from monitor.errors import ParseError
from monitor.parse_entry import Body, RawEntry

JsonFeed = tuple[str | None, list[RawEntry], str | None]


def parse_json_feed(data: bytes) -> JsonFeed:
    """(title, entries, home page) of a JSON Feed document; ParseError when it is not one."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise ParseError(f"invalid JSON: {e}") from e
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ParseError("not a JSON Feed (no items list)")
    entries = [_entry(item) for item in document["items"] if isinstance(item, dict)]
    return _text(document.get("title")), entries, _text(document.get("home_page_url"))


def _entry(item: dict[str, Any]) -> RawEntry:
    bodies = (
        Body(_text(item.get("content_html")) or ""),
        Body(_text(item.get("content_text")) or "", is_html=False),
        Body(_text(item.get("summary")) or "", is_html=False),
    )
    return RawEntry(
        guid=_id(item.get("id")),
        title=_text(item.get("title")) or "",
        link=_text(item.get("url")) or _text(item.get("external_url")),
        bodies=bodies,
        author=_author(item),
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
    )


def _author(item: dict[str, Any]) -> str | None:
    # 1.1 has "authors" (a list); 1.0 had "author" (an object).
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    names = [_text(a.get("name")) for a in candidates if isinstance(a, dict)]
    return ", ".join(n for n in names if n) or None


def _id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)  # the spec says string; numbers are common and still identify
    return _text(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None
