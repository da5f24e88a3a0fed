"""Read paths for review and backtests: matches, items and stories as domain values."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from monitor.records import StoredMatch, StoredStory
from monitor.store.sqlite_codec import dt, dt_or_none, item_from_row, str_tuple, ts
from monitor.types import Item

Query = Callable[[str, Sequence[Any]], list[sqlite3.Row]]

# Must be spelled exactly like the `items_time` index expression for SQLite to use that index.
ITEM_TIME = "COALESCE(i.published_at, i.fetched_at)"
SOURCE = "COALESCE(NULLIF(f.name, ''), f.url)"
_CHUNK = 500

_MATCHES = f"""
SELECT m.id, m.item_id, m.rule, m.severity, m.terms, m.regions, m.status, m.note, m.matched_at,
       i.title, i.link, i.published_at, i.primary_country, i.story_id,
       {SOURCE} AS source, COALESCE(s.outlet_count, 1) AS story_outlets
FROM matches m
JOIN items i ON i.id = m.item_id
JOIN feeds f ON f.id = i.feed_id
LEFT JOIN stories s ON s.id = i.story_id
"""


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
    if since is not None:
        where.append("m.matched_at >= ?")
        params.append(ts(since))
    if rule is not None:
        where.append("m.rule = ?")
        params.append(rule)
    if region is not None:
        where.append(
            "(i.primary_country = ? OR EXISTS (SELECT 1 FROM json_each(m.regions) WHERE value = ?))"
        )
        params += [region, region]
    if status is not None:
        where.append("m.status = ?")
        params.append(status)
    sql = _MATCHES + _where(where) + " ORDER BY m.matched_at DESC, m.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_match_from_row(row) for row in query(sql, params)]


def _match_from_row(row: sqlite3.Row) -> StoredMatch:
    return StoredMatch(
        id=row["id"],
        item_id=row["item_id"],
        rule=row["rule"],
        severity=row["severity"],
        title=row["title"],
        link=row["link"],
        source=row["source"],
        published_at=dt_or_none(row["published_at"]),
        matched_at=dt(row["matched_at"]),
        regions=str_tuple(row["regions"]),
        primary_region=row["primary_country"],
        story_id=row["story_id"],
        story_outlets=row["story_outlets"],
        terms=str_tuple(row["terms"]),
        status=row["status"],
        note=row["note"],
    )


def iter_items(query: Query, since: datetime | None, batch: int = _CHUNK) -> Iterator[Item]:
    """Keyset pagination on (item time, id): each batch is one short read, no cursor held open
    between yields, so a long backtest never blocks writers or loads every item at once."""
    base = f"SELECT i.*, {SOURCE} AS source, {ITEM_TIME} AS t FROM items i "
    base += "JOIN feeds f ON f.id = i.feed_id"
    after: tuple[str, int] | None = None
    while True:
        where, params = _since_clause(since)
        if after is not None:
            where.append(f"({ITEM_TIME}, i.id) < (?, ?)")
            params += list(after)
        rows = query(f"{base}{_where(where)} ORDER BY t DESC, i.id DESC LIMIT ?", [*params, batch])
        yield from (item_from_row(row) for row in rows)
        if len(rows) < batch:
            return
        after = (rows[-1]["t"], rows[-1]["id"])


def count_items(query: Query, since: datetime | None) -> int:
    where, params = _since_clause(since)
    rows = query(f"SELECT COUNT(*) AS n FROM items i{_where(where)}", params)
    return int(rows[0]["n"])


def _since_clause(since: datetime | None) -> tuple[list[str], list[Any]]:
    if since is None:
        return [], []
    return [f"{ITEM_TIME} >= ?"], [ts(since)]


def _where(conditions: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def list_stories(query: Query, since: datetime | None, region: str | None) -> list[StoredStory]:
    where: list[str] = ["outlet_count > 0"]  # a story whose only poll lost its lease has no items
    params: list[Any] = []
    if since is not None:
        where.append("last_seen_at >= ?")
        params.append(ts(since))
    if region is not None:
        where.append("primary_country = ?")
        params.append(region)
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
    for start in range(0, len(story_ids), _CHUNK):
        chunk = story_ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = (
            f"SELECT i.story_id, i.id, {SOURCE} AS source FROM items i "
            f"JOIN feeds f ON f.id = i.feed_id WHERE i.story_id IN ({marks}) ORDER BY i.id"
        )
        for row in query(sql, chunk):
            outlets.setdefault(row["story_id"], {})[row["source"]] = None
            items.setdefault(row["story_id"], []).append(row["id"])
    return {sid: (tuple(outlets[sid]), tuple(items[sid])) for sid in items}


def _story_from_row(
    row: sqlite3.Row, outlets: tuple[str, ...], item_ids: tuple[int, ...]
) -> StoredStory:
    return StoredStory(
        id=row["id"],
        title=row["title"],
        first_seen=dt(row["first_seen_at"]),
        last_seen=dt(row["last_seen_at"]),
        primary_region=row["primary_country"],
        outlets=outlets,
        outlet_count=row["outlet_count"],
        updated=bool(row["updated"]),
        item_ids=item_ids,
    )
