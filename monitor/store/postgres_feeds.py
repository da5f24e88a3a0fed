"""Feeds, claims and workers on PostgreSQL: the SQL and row helpers behind `PostgresStore`.

A claim is one statement: the due rows are picked `FOR UPDATE SKIP LOCKED` (concurrent claimers
skip each other's rows instead of waiting) and leased with a fresh token in the same `UPDATE`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from monitor.config import FeedConfig
from monitor.records import WorkerInfo
from monitor.store.postgres_complete import REMOVED_FROM_CONFIG
from monitor.store.postgres_review import Row

CLAIM = """
WITH due AS (
    SELECT id FROM feeds
    WHERE (lease_until IS NULL OR lease_until <= %(now)s)
      AND host NOT IN (SELECT host FROM host_backoff WHERE until > %(now)s)
      {filters}
    ORDER BY next_check_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE feeds f SET lease_owner = %(owner)s, lease_until = %(until)s,
    lease_token = replace(gen_random_uuid()::text, '-', '')
FROM due WHERE f.id = due.id
RETURNING f.*
"""

SYNC_FEED = """
INSERT INTO feeds (url, name, tier, host, source, interval_s, next_check_at, created_at)
VALUES (%(url)s, %(name)s, %(tier)s, %(host)s, 'config', %(interval_s)s, %(now)s, %(now)s)
ON CONFLICT (url) DO UPDATE SET
    name = excluded.name, tier = excluded.tier, interval_s = excluded.interval_s,
    source = 'config',
    disabled_reason = CASE WHEN feeds.disabled_reason = %(removed)s THEN NULL
                           ELSE feeds.disabled_reason END
"""

# A new process under the same name (a restart) starts a new run.
HEARTBEAT = """
INSERT INTO workers (name, host, pid, started_at, last_heartbeat_at, stopped_at, feeds_polled)
VALUES (%(name)s, %(host)s, %(pid)s, %(now)s, %(now)s, %(stopped)s, %(polled)s)
ON CONFLICT (name) DO UPDATE SET
    started_at = CASE WHEN workers.pid IS DISTINCT FROM excluded.pid
                        OR workers.host <> excluded.host OR workers.stopped_at IS NOT NULL
                      THEN excluded.started_at ELSE workers.started_at END,
    host = excluded.host, pid = excluded.pid, last_heartbeat_at = excluded.last_heartbeat_at,
    stopped_at = excluded.stopped_at, feeds_polled = excluded.feeds_polled
"""

def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def changed(row: Mapping[str, Any] | None, feed: FeedConfig) -> bool:
    if row is None:
        return True
    wanted = (feed.name, feed.tier, feed.interval_s, "config")
    have = (row["name"], row["tier"], row["interval_s"], row["source"])
    return have != wanted or row["disabled_reason"] == REMOVED_FROM_CONFIG


def sync_params(feed: FeedConfig, now: datetime) -> dict[str, Any]:
    return {
        "url": feed.url, "name": feed.name, "tier": feed.tier, "host": host_of(feed.url),
        "interval_s": feed.interval_s, "now": now, "removed": REMOVED_FROM_CONFIG,
    }


def claim_filters(ignore_schedule: bool, urls: Sequence[str]) -> str:
    """Named URLs are a manual override: schedule and disabled state are ignored; a live lease
    held by anyone, and a host's Retry-After, are always respected."""
    if urls:
        return "AND url = ANY(%(urls)s)"
    if ignore_schedule:
        return "AND disabled_reason IS NULL"
    return "AND disabled_reason IS NULL AND next_check_at <= %(now)s"


def worker_from_row(row: Row) -> WorkerInfo:
    return WorkerInfo(
        name=row["name"], host=row["host"], pid=row["pid"], started_at=row["started_at"],
        last_heartbeat_at=row["last_heartbeat_at"], stopped_at=row["stopped_at"],
        feeds_polled=row["feeds_polled"],
    )
