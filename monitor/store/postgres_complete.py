"""Writing one poll result on PostgreSQL: the fenced feed update, items, matches, stories, outbox.

Runs inside the caller's transaction. The first statement is the fence: an `UPDATE … WHERE
lease_token = :mine`; if it touches no row the lease was lost (expired and taken, or completed
already) and `LeaseLost` is raised before anything is written, so the caller rolls back. The
fence also row-locks the feed until commit, so nobody else can complete it meanwhile. Items,
matches and outbox rows are `INSERT … ON CONFLICT DO NOTHING` on their unique keys: completing
the same result twice changes nothing users see. Stories were assigned before (serialised by
`Store.assign_story`); here items are linked and outlet counts recomputed under row locks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from monitor.errors import LeaseLost
from monitor.store.postgres_review import hits_list, places_list
from monitor.types import FeedResult, NewItem, OutboxMessage

REMOVED_FROM_CONFIG = "removed from config"

Conn = psycopg.Connection[dict[str, Any]]

_FENCE = """
UPDATE feeds SET
    last_status = %(status)s, last_error = %(error)s, error_count = %(error_count)s,
    etag = %(etag)s, last_modified = %(last_modified)s,
    last_fetched_at = %(checked_at)s, next_check_at = %(next_check_at)s,
    last_unconditional_at = CASE WHEN %(unconditional)s THEN %(checked_at)s
                                 ELSE last_unconditional_at END,
    disabled_reason = CASE WHEN disabled_reason = %(removed)s THEN disabled_reason
                           ELSE %(disabled_reason)s END,
    fetch_url = %(fetch_url)s, redirect_url = %(redirect_url)s,
    redirect_first_seen_at = %(redirect_first_seen_at)s, redirect_count = %(redirect_count)s,
    failing_since = %(failing_since)s, typical_gap_s = %(typical_gap_s)s, health = %(health)s,
    lease_owner = NULL, lease_until = NULL, lease_token = NULL
WHERE id = %(feed_id)s AND lease_token = %(token)s
RETURNING id
"""

# One statement for every item of the result; the conflicting ones come back as nothing.
_INSERT_ITEMS = """
INSERT INTO items (
    feed_id, key, title, link, summary, summary_html, author, published_at, fetched_at,
    countries, primary_country, places
)
SELECT %s, u.key, u.title, u.link, u.summary, u.summary_html, u.author, u.published_at,
       u.fetched_at, u.countries::jsonb, u.primary_country, u.places::jsonb
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::timestamptz[], %s::timestamptz[], %s::text[], %s::text[], %s::text[])
     AS u(key, title, link, summary, summary_html, author, published_at, fetched_at,
          countries, primary_country, places)
ON CONFLICT (feed_id, key) DO NOTHING
RETURNING id, key
"""

_INSERT_MATCH = """
INSERT INTO matches (item_id, rule, severity, terms, hits, regions, matched_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (item_id, rule) DO NOTHING
"""

_OWN_STORY = """
INSERT INTO stories (title, first_seen_at, last_seen_at, primary_country, outlet_count)
VALUES (%s, %s, %s, %s, 1) RETURNING id
"""

_OUTLETS = """
UPDATE stories SET
    outlet_count = (SELECT COUNT(DISTINCT feed_id) FROM items WHERE story_id = %(story)s),
    updated = updated OR %(updated)s
WHERE id = %(story)s
"""

_ENQUEUE = """
INSERT INTO outbox (kind, recipient, dedupe_key, payload, created_at, next_attempt_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (dedupe_key) DO NOTHING
"""

_HOST_BACKOFF = """
INSERT INTO host_backoff (host, until, reason)
SELECT host, %(until)s, %(reason)s FROM feeds WHERE id = %(feed_id)s AND host <> ''
ON CONFLICT (host) DO UPDATE SET until = GREATEST(host_backoff.until, excluded.until),
    reason = excluded.reason
"""


def complete(conn: Conn, result: FeedResult, owner: str) -> int:
    """Write `result`; return how many items were new. Raises LeaseLost, having written nothing."""
    _fence(conn, result, owner)
    _host_backoff(conn, result)
    enqueue(conn, result.outbox, result.checked_at)
    ids = _insert_items(conn, result)
    if not ids:
        return 0
    fresh = [new for new in result.items if new.item.key in ids]
    _insert_matches(conn, fresh, ids, result.checked_at)
    _link_stories(conn, fresh, ids, result.checked_at)
    conn.execute(
        "UPDATE feeds SET last_new_item_at = %s, items_seen = items_seen + %s WHERE id = %s",
        (result.checked_at, len(ids), result.feed_id),
    )
    return len(ids)


def enqueue(conn: Conn, messages: Sequence[OutboxMessage], now: datetime) -> None:
    """Outbox rows, once each: the dedupe key makes a repeated completion a no-op."""
    if not messages:
        return
    with conn.cursor() as cur:
        cur.executemany(
            _ENQUEUE,
            [(m.kind, m.recipient, m.dedupe_key, Jsonb(dict(m.payload)), now, now)
             for m in messages],
        )


def _fence(conn: Conn, result: FeedResult, owner: str) -> None:
    params = {
        "status": result.status, "error": result.error, "error_count": result.error_count,
        "etag": result.etag, "last_modified": result.last_modified,
        "checked_at": result.checked_at, "next_check_at": result.next_check_at,
        "unconditional": result.unconditional, "disabled_reason": result.disabled_reason,
        "removed": REMOVED_FROM_CONFIG, "feed_id": result.feed_id, "token": result.lease_token,
        "fetch_url": result.redirect.fetch_url, "redirect_url": result.redirect.candidate,
        "redirect_first_seen_at": result.redirect.first_seen_at,
        "redirect_count": result.redirect.count, "failing_since": result.failing_since,
        "typical_gap_s": result.typical_gap_s, "health": result.health,
    }
    if conn.execute(_FENCE, params).fetchone() is None:
        raise LeaseLost(f"feed {result.feed_id}: lease {result.lease_token} not held by {owner}")


def _host_backoff(conn: Conn, result: FeedResult) -> None:
    """A server's Retry-After holds for every feed on its host, in every worker."""
    if result.host_backoff_until is None:
        return
    conn.execute(
        _HOST_BACKOFF,
        {"until": result.host_backoff_until, "reason": result.error or "",
         "feed_id": result.feed_id},
    )


def _insert_items(conn: Conn, result: FeedResult) -> dict[str, int]:
    """Insert the result's items; returns key → id of those that were new."""
    if not result.items:
        return {}
    items = [new.item for new in result.items]
    columns: list[list[Any]] = [
        [i.key for i in items], [i.title for i in items], [i.link for i in items],
        [i.summary for i in items], [i.summary_html for i in items], [i.author for i in items],
        [i.published_at for i in items], [i.fetched_at or result.checked_at for i in items],
        [json.dumps(list(i.geo.countries)) for i in items], [i.geo.primary for i in items],
        [json.dumps(places_list(i.geo.places), ensure_ascii=False) for i in items],
    ]
    rows = conn.execute(_INSERT_ITEMS, (result.feed_id, *columns)).fetchall()
    return {row["key"]: row["id"] for row in rows}


def _insert_matches(
    conn: Conn, fresh: Sequence[NewItem], ids: dict[str, int], matched_at: datetime
) -> None:
    params = [
        (ids[new.item.key], m.rule, m.severity, Jsonb(list(m.terms)), Jsonb(hits_list(m.hits)),
         Jsonb(list(m.regions)), matched_at)
        for new in fresh
        for m in new.matches
    ]
    if params:
        with conn.cursor() as cur:
            cur.executemany(_INSERT_MATCH, params)


def _link_stories(
    conn: Conn, fresh: Sequence[NewItem], ids: dict[str, int], seen_at: datetime
) -> None:
    """Attach each item to the story the poll assigned it (`Store.assign_story`); an item that
    came without one starts its own. Outlets are the distinct feeds among the story's items:
    the story rows are locked first (in id order: no deadlocks), so the count, a later statement
    with a fresh snapshot, includes every other completion that added to the story."""
    stories = {new.item.key: new.story_id or _own_story(conn, new, seen_at) for new in fresh}
    updated: dict[int, bool] = {}
    for new in fresh:
        story = stories[new.item.key]
        updated[story] = updated.get(story, False) or new.story_updated
    conn.execute(
        "SELECT id FROM stories WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (sorted(updated),)
    )
    with conn.cursor() as cur:
        cur.executemany("UPDATE items SET story_id = %s WHERE id = %s",
                        [(stories[key], ids[key]) for key in stories])
        cur.executemany(_OUTLETS, [{"story": s, "updated": u} for s, u in updated.items()])


def _own_story(conn: Conn, new: NewItem, seen_at: datetime) -> int:
    item = new.item
    row = conn.execute(_OWN_STORY, (item.title, seen_at, seen_at, item.geo.primary)).fetchone()
    assert row is not None
    return int(row["id"])
