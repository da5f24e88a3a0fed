"""Writing one poll result: the fenced feed update, new items, their matches and stories.

Runs inside the caller's transaction. The first statement is the fence: if our lease token is no
longer on the feed row, `LeaseLost` is raised before anything is written and the caller rolls back.
Items and matches are `INSERT OR IGNORE` on their unique keys (never upserts), so completing the
same result twice changes nothing users see.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from monitor.errors import LeaseLost
from monitor.store.sqlite_codec import hits_json, json_list, places_json, ts, ts_or_none
from monitor.types import FeedResult, Item, NewItem, OutboxMessage

REMOVED_FROM_CONFIG = "removed from config"

# A poll decides the feed's own health (410 disables, a later success re-enables) but never undoes
# `sync_feeds` removing the feed from the config while that poll was in flight.
_FENCE = """
UPDATE feeds SET
    last_status = :status, last_error = :error, error_count = :error_count,
    etag = :etag, last_modified = :last_modified,
    last_fetched_at = :checked_at, next_check_at = :next_check_at,
    last_unconditional_at = CASE WHEN :unconditional THEN :checked_at
                                 ELSE last_unconditional_at END,
    disabled_reason = CASE WHEN disabled_reason = :removed THEN disabled_reason
                           ELSE :disabled_reason END,
    fetch_url = :fetch_url, redirect_url = :redirect_url,
    redirect_first_seen_at = :redirect_first_seen_at, redirect_count = :redirect_count,
    failing_since = :failing_since, typical_gap_s = :typical_gap_s, health = :health,
    lease_owner = NULL, lease_until = NULL, lease_token = NULL
WHERE id = :feed_id AND lease_token = :token
"""

_INSERT_ITEM = """
INSERT OR IGNORE INTO items (
    feed_id, key, title, link, summary, summary_html, author, published_at, fetched_at,
    countries, primary_country, places
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

_INSERT_MATCH = """
INSERT OR IGNORE INTO matches (item_id, rule, severity, terms, hits, regions, matched_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""


def complete(conn: sqlite3.Connection, result: FeedResult, owner: str) -> int:
    """Write `result`; return how many items were new. Raises LeaseLost, having written nothing."""
    _fence(conn, result, owner)
    _host_backoff(conn, result)
    enqueue(conn, result.outbox, result.checked_at)
    new = 0
    stories: dict[int, bool] = {}  # story → whether an item of this poll updated it
    for entry in result.items:
        story = _store_item(conn, result, entry)
        if story is not None:
            new += 1
            stories[story] = stories.get(story, False) or entry.story_updated
    _count_outlets(conn, stories)
    if new:
        conn.execute(
            "UPDATE feeds SET last_new_item_at = ?, "
            "items_seen = (SELECT COUNT(*) FROM items WHERE feed_id = ?) WHERE id = ?",
            (ts(result.checked_at), result.feed_id, result.feed_id),
        )
    return new


def enqueue(conn: sqlite3.Connection, messages: Sequence[OutboxMessage], now: datetime) -> None:
    """Outbox rows, once each: the dedupe key makes a repeated completion a no-op."""
    conn.executemany(
        "INSERT OR IGNORE INTO outbox (kind, recipient, dedupe_key, payload, created_at, "
        "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (m.kind, m.recipient, m.dedupe_key, json.dumps(dict(m.payload)), ts(now), ts(now))
            for m in messages
        ],
    )


def _host_backoff(conn: sqlite3.Connection, result: FeedResult) -> None:
    """A server's Retry-After holds for every feed on its host, not just the one that asked."""
    if result.host_backoff_until is None:
        return
    conn.execute(
        "INSERT INTO host_backoff (host, until, reason) "
        "SELECT host, :until, :reason FROM feeds WHERE id = :feed_id AND host != '' "
        "ON CONFLICT (host) DO UPDATE SET until = MAX(until, excluded.until), "
        "reason = excluded.reason",
        {"until": ts(result.host_backoff_until), "reason": result.error or "",
         "feed_id": result.feed_id},
    )


def _fence(conn: sqlite3.Connection, result: FeedResult, owner: str) -> None:
    params = {
        "status": result.status,
        "error": result.error,
        "error_count": result.error_count,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "checked_at": ts(result.checked_at),
        "next_check_at": ts(result.next_check_at),
        "unconditional": result.unconditional,
        "disabled_reason": result.disabled_reason,
        "removed": REMOVED_FROM_CONFIG,
        "feed_id": result.feed_id,
        "token": result.lease_token,
        "fetch_url": result.redirect.fetch_url,
        "redirect_url": result.redirect.candidate,
        "redirect_first_seen_at": ts_or_none(result.redirect.first_seen_at),
        "redirect_count": result.redirect.count,
        "failing_since": ts_or_none(result.failing_since),
        "typical_gap_s": result.typical_gap_s,
        "health": result.health,
    }
    if conn.execute(_FENCE, params).rowcount != 1:
        raise LeaseLost(f"feed {result.feed_id}: lease {result.lease_token} not held by {owner}")


def _store_item(conn: sqlite3.Connection, result: FeedResult, new: NewItem) -> int | None:
    """Insert the item and its matches; return its story (None: the item was already stored)."""
    item = new.item
    fetched_at = item.fetched_at or result.checked_at
    cur = conn.execute(
        _INSERT_ITEM,
        (
            result.feed_id, item.key, item.title, item.link, item.summary, item.summary_html,
            item.author, ts_or_none(item.published_at), ts(fetched_at),
            json_list(item.geo.countries), item.geo.primary, places_json(item.geo.places),
        ),
    )
    if cur.rowcount != 1 or cur.lastrowid is None:
        return None
    item_id = cur.lastrowid
    story_id = new.story_id or _own_story(conn, item, result.checked_at)
    conn.execute("UPDATE items SET story_id = ? WHERE id = ?", (story_id, item_id))
    matched_at = ts(result.checked_at)
    conn.executemany(
        _INSERT_MATCH,
        [
            (item_id, m.rule, m.severity, json_list(m.terms), hits_json(m.hits),
             json_list(m.regions), matched_at)
            for m in new.matches
        ],
    )
    return story_id


def _count_outlets(conn: sqlite3.Connection, stories: dict[int, bool]) -> None:
    """Once per story the poll added to (the item came with the story `Store.assign_stories`
    gave it, or started its own): outlets are the distinct feeds among the story's items, read
    from the (story_id, feed_id) index."""
    conn.executemany(
        "UPDATE stories SET outlet_count = "
        "(SELECT COUNT(DISTINCT feed_id) FROM items WHERE story_id = :story), "
        "updated = updated OR :updated WHERE id = :story",
        [{"story": story, "updated": updated} for story, updated in stories.items()],
    )


def _own_story(conn: sqlite3.Connection, item: Item, seen_at: datetime) -> int:
    seen = ts(seen_at)
    cur = conn.execute(
        "INSERT INTO stories (title, first_seen_at, last_seen_at, primary_country, outlet_count) "
        "VALUES (?, ?, ?, ?, 1)",
        (item.title, seen, seen, item.geo.primary),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid
