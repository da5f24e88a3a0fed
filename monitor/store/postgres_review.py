"""PostgreSQL rows ⇄ domain values, and the read paths for review and backtests.

Read functions take the store's `Query` callable (one short autocommit statement each), so a
long backtest never holds a transaction or a snapshot open between batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.records import StoredMatch, StoredStory
from monitor.types import Feed, GeoTags, Item, Place, TermHit

Row = dict[str, Any]
Params = Sequence[Any] | Mapping[str, Any]
Query = Callable[[str, Params], list[Row]]

ITEM_TIME = "COALESCE(i.published_at, i.fetched_at)"
SOURCE = "COALESCE(NULLIF(f.name, ''), f.url)"
_BATCH = 500

_MATCHES = f"""
SELECT m.id, m.item_id, m.rule, m.severity, m.terms, m.regions, m.status, m.note, m.matched_at,
       i.title, i.link, i.published_at, i.primary_country, i.story_id,
       {SOURCE} AS source, COALESCE(s.outlet_count, 1) AS story_outlets
FROM matches m
JOIN items i ON i.id = m.item_id
JOIN feeds f ON f.id = i.feed_id
LEFT JOIN stories s ON s.id = i.story_id
"""

_FEED_FIELDS = (
    "id", "url", "name", "tier", "interval_s", "etag", "last_modified", "last_fetched_at",
    "last_unconditional_at", "next_check_at", "last_status", "last_error", "error_count",
    "disabled_reason", "items_seen", "lease_token", "host", "fetch_url", "redirect_url",
    "redirect_first_seen_at", "redirect_count", "failing_since", "last_new_item_at",
    "typical_gap_s", "health",
)


def hits_list(hits: Sequence[TermHit]) -> list[list[object]]:
    return [[h.term, h.field, h.start, h.end] for h in hits]


def places_list(places: Sequence[Place]) -> list[dict[str, object]]:
    return [
        {"name": p.name, "country": p.country, "start": p.start, "end": p.end, "field": p.field}
        for p in places
    ]


def feed_from_row(row: Row) -> Feed:
    return Feed(**{name: row[name] for name in _FEED_FIELDS})


def geo_from(row: Row) -> GeoTags:
    places = tuple(
        Place(p["name"], p["country"], int(p["start"]), int(p["end"]), p.get("field", "text"))
        for p in row["places"] or []
    )
    countries = tuple(str(c) for c in row["countries"] or [])
    return GeoTags(countries=countries, primary=row["primary_country"], places=places)


def item_from_row(row: Row) -> Item:
    return Item(
        key=row["key"], feed_id=row["feed_id"], source=row["source"], title=row["title"],
        summary=row["summary"], link=row["link"], author=row["author"],
        published_at=row["published_at"], fetched_at=row["fetched_at"],
        summary_html=row["summary_html"], geo=geo_from(row),
    )


def _where(conditions: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def list_matches(
    query: Query,
    *,
    since: datetime | None,
    rule: str | None,
    region: str | None,
    status: str | None,
    limit: int | None,
) -> list[StoredMatch]:
    where: list[str] = []
    params: list[Any] = []
    for clause, value in (("m.matched_at >= %s", since), ("m.rule = %s", rule),
                          ("m.status = %s", status)):
        if value is not None:
            where.append(clause)
            params.append(value)
    if region is not None:
        where.append("(i.primary_country = %s OR m.regions ? %s)")
        params += [region, region]
    sql = _MATCHES + _where(where) + " ORDER BY m.matched_at DESC, m.id DESC"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return [match_from_row(row) for row in query(sql, params)]


def match_from_row(row: Row) -> StoredMatch:
    return StoredMatch(
        id=row["id"], item_id=row["item_id"], rule=row["rule"], severity=row["severity"],
        title=row["title"], link=row["link"], source=row["source"],
        published_at=row["published_at"], matched_at=row["matched_at"],
        regions=tuple(row["regions"]), primary_region=row["primary_country"],
        story_id=row["story_id"], story_outlets=row["story_outlets"],
        terms=tuple(row["terms"]), status=row["status"], note=row["note"],
    )


def iter_items(query: Query, since: datetime | None, batch: int = _BATCH) -> Iterator[Item]:
    """Keyset pagination on (item time, id): each batch is one short statement."""
    base = f"SELECT i.*, {SOURCE} AS source, {ITEM_TIME} AS t FROM items i "
    base += "JOIN feeds f ON f.id = i.feed_id"
    after: tuple[datetime, int] | None = None
    while True:
        where, params = _since_clause(since)
        if after is not None:
            where.append(f"({ITEM_TIME}, i.id) < (%s, %s)")
            params += list(after)
        sql = f"{base}{_where(where)} ORDER BY t DESC, i.id DESC LIMIT %s"
        rows = query(sql, [*params, batch])
        yield from (item_from_row(row) for row in rows)
        if len(rows) < batch:
            return
        after = (rows[-1]["t"], rows[-1]["id"])


def count_items(query: Query, since: datetime | None) -> int:
    where, params = _since_clause(since)
    return int(query(f"SELECT COUNT(*) AS n FROM items i{_where(where)}", params)[0]["n"])


def _since_clause(since: datetime | None) -> tuple[list[str], list[Any]]:
    return ([f"{ITEM_TIME} >= %s"], [since]) if since is not None else ([], [])


def list_stories(query: Query, since: datetime | None, region: str | None) -> list[StoredStory]:
    where: list[str] = ["outlet_count > 0"]  # a story whose only poll lost its lease is empty
    params: list[Any] = []
    for clause, value in (("last_seen_at >= %s", since), ("primary_country = %s", region)):
        if value is not None:
            where.append(clause)
            params.append(value)
    sql = f"SELECT * FROM stories{_where(where)} ORDER BY last_seen_at DESC, id DESC"
    rows = query(sql, params)
    members = _story_members(query, [row["id"] for row in rows])
    return [_story_from_row(row, *members.get(row["id"], ((), ()))) for row in rows]


def _story_members(
    query: Query, story_ids: Sequence[int]
) -> dict[int, tuple[tuple[str, ...], tuple[int, ...]]]:
    """story id → (outlet names in order of first appearance, item ids ascending)."""
    outlets: dict[int, dict[str, None]] = {}
    items: dict[int, list[int]] = {}
    sql = (
        f"SELECT i.story_id, i.id, {SOURCE} AS source FROM items i "
        "JOIN feeds f ON f.id = i.feed_id WHERE i.story_id = ANY(%s) ORDER BY i.id"
    )
    for row in query(sql, [list(story_ids)]) if story_ids else []:
        outlets.setdefault(row["story_id"], {})[row["source"]] = None
        items.setdefault(row["story_id"], []).append(row["id"])
    return {sid: (tuple(outlets[sid]), tuple(items[sid])) for sid in items}


def _story_from_row(row: Row, outlets: tuple[str, ...], item_ids: tuple[int, ...]) -> StoredStory:
    return StoredStory(
        id=row["id"], title=row["title"], first_seen=row["first_seen_at"],
        last_seen=row["last_seen_at"], primary_region=row["primary_country"], outlets=outlets,
        outlet_count=row["outlet_count"], updated=bool(row["updated"]), item_ids=item_ids,
    )
