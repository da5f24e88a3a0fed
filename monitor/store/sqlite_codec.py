"""Python values ⇄ SQLite column values: times, JSON lists, geo tags, rows → domain values."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.types import Feed, GeoTags, Item, Place, TermHit


def ts(value: datetime) -> str:
    """Fixed-width UTC text (microseconds always present), so text order is time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else ts(value)


def dt(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def dt_or_none(value: str | None) -> datetime | None:
    return None if value is None else dt(value)


def json_list(values: Sequence[Any]) -> str:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def str_tuple(text: str | None) -> tuple[str, ...]:
    return tuple(str(v) for v in json.loads(text or "[]"))


def hits_json(hits: Sequence[TermHit]) -> str:
    return json_list([[h.term, h.field, h.start, h.end] for h in hits])


def places_json(places: Sequence[Place]) -> str:
    return json_list(
        [{"name": p.name, "country": p.country, "start": p.start, "end": p.end, "field": p.field}
         for p in places]
    )


def geo_from(countries: str | None, primary: str | None, places: str | None) -> GeoTags:
    rebuilt = tuple(
        Place(p["name"], p["country"], int(p["start"]), int(p["end"]), p.get("field", "text"))
        for p in json.loads(places or "[]")
    )
    return GeoTags(countries=str_tuple(countries), primary=primary, places=rebuilt)


def feed_from_row(row: sqlite3.Row) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        tier=row["tier"],
        interval_s=row["interval_s"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fetched_at=dt_or_none(row["last_fetched_at"]),
        last_unconditional_at=dt_or_none(row["last_unconditional_at"]),
        next_check_at=dt_or_none(row["next_check_at"]),
        last_status=row["last_status"],
        last_error=row["last_error"],
        error_count=row["error_count"],
        disabled_reason=row["disabled_reason"],
        items_seen=row["items_seen"],
        lease_token=row["lease_token"],
        host=row["host"],
        fetch_url=row["fetch_url"],
        redirect_url=row["redirect_url"],
        redirect_first_seen_at=dt_or_none(row["redirect_first_seen_at"]),
        redirect_count=row["redirect_count"],
        failing_since=dt_or_none(row["failing_since"]),
        last_new_item_at=dt_or_none(row["last_new_item_at"]),
        typical_gap_s=row["typical_gap_s"],
        health=row["health"],
    )


def item_from_row(row: sqlite3.Row) -> Item:
    return Item(
        key=row["key"],
        feed_id=row["feed_id"],
        source=row["source"],
        title=row["title"],
        summary=row["summary"],
        link=row["link"],
        author=row["author"],
        published_at=dt_or_none(row["published_at"]),
        fetched_at=dt_or_none(row["fetched_at"]),
        summary_html=row["summary_html"],
        geo=geo_from(row["countries"], row["primary_country"], row["places"]),
    )
