"""`SqliteStore`: the embedded `Store` (sqlite-utils), one connection per store, WAL mode.

Transactions are explicit: the connection runs in autocommit mode and every write path opens
`BEGIN IMMEDIATE`, taking SQLite's single write lock up front, so a claim or a completion never
fails half way on a lock upgrade and `busy_timeout` queues competing processes instead. A
re-entrant lock serialises threads (the web UI) sharing the one connection.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from monitor.config import FeedConfig
from monitor.errors import LeaseLost
from monitor.records import (
    DigestMatch,
    DigestRun,
    OutboxRow,
    SentAlert,
    StoredMatch,
    StoredStory,
    WorkerInfo,
)
from monitor.store import sqlite_outbox as outbox
from monitor.store import sqlite_review as review
from monitor.store.sqlite_codec import dt, dt_or_none, feed_from_row, ts
from monitor.store.sqlite_complete import REMOVED_FROM_CONFIG, complete
from monitor.store.sqlite_schema import migrate, pending
from monitor.store.sqlite_stories import SqliteStoryIndex
from monitor.store.sqlite_web import WebQueries
from monitor.store.story_window import StoryAssignment, StoryWindow
from monitor.types import CycleStats, Feed, FeedResult, Item, OutboxMessage

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0
_CHUNK = 500

_SYNC_FEED = """
INSERT INTO feeds (url, name, tier, host, source, interval_s, next_check_at, created_at)
VALUES (:url, :name, :tier, :host, 'config', :interval_s, :now, :now)
ON CONFLICT (url) DO UPDATE SET
    name = excluded.name, tier = excluded.tier, interval_s = excluded.interval_s,
    source = 'config',
    disabled_reason = CASE WHEN disabled_reason = :removed THEN NULL ELSE disabled_reason END
"""

_CLAIM = """
UPDATE feeds SET lease_owner = ?, lease_until = ?, lease_token = ?
WHERE id = ? AND (lease_until IS NULL OR lease_until <= ?)
RETURNING *
"""

# A new process under the same name (a restart) starts a new run.
_HEARTBEAT = """
INSERT INTO workers (name, host, pid, started_at, last_heartbeat_at, stopped_at, feeds_polled)
VALUES (:name, :host, :pid, :now, :now, :stopped, :polled)
ON CONFLICT (name) DO UPDATE SET
    started_at = CASE WHEN pid IS NOT excluded.pid OR host != excluded.host
                        OR stopped_at IS NOT NULL
                      THEN excluded.started_at ELSE started_at END,
    host = excluded.host, pid = excluded.pid, last_heartbeat_at = excluded.last_heartbeat_at,
    stopped_at = excluded.stopped_at, feeds_polled = excluded.feeds_polled
"""


def connect(path: Path) -> Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    db.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    # WAL + NORMAL: a power cut may lose the last commits but never corrupts the file.
    db.execute("PRAGMA synchronous = NORMAL")
    return db


class SqliteStore(WebQueries, StoryAssignment):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect(path)
        self._conn: sqlite3.Connection = self._db.conn
        self._lock = threading.RLock()
        StoryAssignment.__init__(self)

    # plumbing ----------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT leaves the transaction open; never let it swallow later writes.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def migrate(self) -> None:
        # Inside one IMMEDIATE transaction (the runner nests savepoints in it), so two processes
        # starting together cannot both apply the same step.
        with self._write():
            migrate(self._db)

    def pending_migrations(self) -> list[str]:
        with self._lock:
            return pending(self._db)

    def schema_is_current(self) -> bool:
        return not self.pending_migrations()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # feeds -------------------------------------------------------------
    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> None:
        rows = [_sync_params(f, ts(now)) for f in feeds]
        listed = {f.url for f in feeds}
        with self._write() as conn:
            conn.executemany(_SYNC_FEED, rows)
            config = conn.execute(
                "SELECT id, url FROM feeds WHERE source = 'config' AND disabled_reason IS NULL"
            ).fetchall()
            gone = [(REMOVED_FROM_CONFIG, row["id"]) for row in config if row["url"] not in listed]
            conn.executemany("UPDATE feeds SET disabled_reason = ? WHERE id = ?", gone)

    def add_feed(self, url: str, name: str, now: datetime, tier: str = "other") -> int:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO feeds "
                "(url, name, tier, host, source, next_check_at, created_at) "
                "VALUES (?, ?, ?, ?, 'manual', ?, ?)",
                (url, name, tier, _host(url), ts(now), ts(now)),
            )
            row = conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        return int(row["id"])

    def list_feeds(self) -> list[Feed]:
        rows = self._query("SELECT * FROM feeds ORDER BY name COLLATE NOCASE, url")
        return [feed_from_row(row) for row in rows]

    def claim_due_feeds(
        self,
        now: datetime,
        owner: str,
        lease_s: int,
        limit: int,
        *,
        ignore_schedule: bool = False,
        urls: Sequence[str] = (),
    ) -> list[Feed]:
        sql, params = _due_query(ts(now), limit, ignore_schedule, urls)
        until = ts(now + timedelta(seconds=lease_s))
        with self._write() as conn:
            ids = [row["id"] for row in conn.execute(sql, params).fetchall()]
            rows = [
                conn.execute(_CLAIM, (owner, until, uuid.uuid4().hex, i, ts(now))).fetchone()
                for i in ids
            ]
        return [feed_from_row(row) for row in rows if row is not None]

    def seen_keys(self, feed_id: int, keys: Sequence[str]) -> set[str]:
        seen: set[str] = set()
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT key FROM items WHERE feed_id = ? AND key IN ({marks})"
            seen.update(row["key"] for row in self._query(sql, [feed_id, *chunk]))
        return seen

    def complete_feed(self, result: FeedResult, owner: str) -> bool:
        try:
            with self._write() as conn:
                new = complete(conn, result, owner)
        except LeaseLost as e:
            log.warning("lease_lost feed_id=%s owner=%s detail=%s", result.feed_id, owner, e)
            return False
        log.debug("feed_completed feed_id=%s owner=%s new=%d", result.feed_id, owner, new)
        return True

    # cycles -----------------------------------------------------------
    def record_cycle(self, stats: CycleStats) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO cycles (started_at, finished_at, feeds, new_items, matches, errors, "
                "lost_leases) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ts(stats.started_at), ts(stats.finished_at), stats.feeds, stats.new_items,
                 stats.matches, stats.errors, stats.lost_leases),
            )

    def last_cycle(self) -> CycleStats | None:
        rows = self._query("SELECT * FROM cycles ORDER BY finished_at DESC, id DESC LIMIT 1")
        if not rows:
            return None
        r = rows[0]
        return CycleStats(
            started_at=dt(r["started_at"]), finished_at=dt(r["finished_at"]), feeds=r["feeds"],
            new_items=r["new_items"], matches=r["matches"], errors=r["errors"],
            lost_leases=r["lost_leases"],
        )

    # workers ----------------------------------------------------------
    def heartbeat(
        self, name: str, host: str, pid: int, now: datetime, feeds_polled: int,
        *, stopped: bool = False,
    ) -> None:
        params = {"name": name, "host": host, "pid": pid, "now": ts(now), "polled": feeds_polled,
                  "stopped": ts(now) if stopped else None}
        with self._write() as conn:
            conn.execute(_HEARTBEAT, params)

    def list_workers(self, since: datetime | None = None) -> list[WorkerInfo]:
        where, params = ("WHERE last_heartbeat_at >= ?", [ts(since)]) if since else ("", [])
        rows = self._query(f"SELECT * FROM workers {where} ORDER BY name", params)
        return [
            WorkerInfo(r["name"], r["host"], r["pid"], dt(r["started_at"]),
                       dt(r["last_heartbeat_at"]), dt_or_none(r["stopped_at"]), r["feeds_polled"])
            for r in rows
        ]

    # review -----------------------------------------------------------
    def list_matches(
        self,
        *,
        since: datetime | None = None,
        rule: str | None = None,
        region: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[StoredMatch]:
        return review.list_matches(
            self._query, since=since, rule=rule, region=region, status=status, limit=limit
        )

    def iter_items(self, since: datetime | None = None) -> Iterator[Item]:
        return review.iter_items(self._query, since)

    def count_items(self, since: datetime | None = None) -> int:
        return review.count_items(self._query, since)

    def list_stories(
        self, since: datetime | None = None, region: str | None = None
    ) -> list[StoredStory]:
        return review.list_stories(self._query, since, region)

    @contextmanager
    def _story_index(self, window: StoryWindow) -> Iterator[SqliteStoryIndex]:
        with self._write() as conn:
            yield SqliteStoryIndex(conn, window)

    # outbox -----------------------------------------------------------
    def claim_outbox(
        self, now: datetime, owner: str, lease_s: float, limit: int, kinds: Sequence[str] = ()
    ) -> list[OutboxRow]:
        with self._write() as conn:
            return outbox.claim(conn, now, owner, lease_s, limit, kinds)

    def complete_outbox(
        self, row_ids: Sequence[int], token: str, sent_at: datetime, message_id: str
    ) -> bool:
        with self._write() as conn:
            return outbox.complete(conn, row_ids, token, sent_at, message_id) == len(row_ids)

    def fail_outbox(
        self,
        row_ids: Sequence[int],
        token: str,
        error: str,
        next_attempt_at: datetime,
        permanent: bool,
    ) -> bool:
        with self._write() as conn:
            changed = outbox.fail(conn, row_ids, token, error, next_attempt_at, permanent)
        return changed == len(row_ids)

    def release_outbox(self, row_ids: Sequence[int], token: str, next_attempt_at: datetime) -> bool:
        with self._write() as conn:
            return outbox.release(conn, row_ids, token, next_attempt_at) == len(row_ids)

    def requeue_outbox(self, row_ids: Sequence[int], now: datetime) -> int:
        with self._write() as conn:
            return outbox.requeue(conn, row_ids, now)

    def sent_alerts(self, since: datetime) -> list[SentAlert]:
        return outbox.sent_alerts(self._query, since)

    def list_outbox(self, status: str | None = None, limit: int | None = None) -> list[OutboxRow]:
        return outbox.list_outbox(self._query, status, limit)

    # digests ----------------------------------------------------------
    def digest_run(self, recipient: str, day: date) -> DigestRun | None:
        return outbox.digest_run(self._query, recipient, day)

    def last_digest_run(self, recipient: str) -> DigestRun | None:
        return outbox.last_digest_run(self._query, recipient)

    def record_digest(
        self, run: DigestRun, message: OutboxMessage, now: datetime, force: bool = False
    ) -> int | None:
        with self._write() as conn:
            return outbox.record_digest(conn, run, message, now, force)

    def digest_matches(self, since: datetime, until: datetime) -> list[DigestMatch]:
        return outbox.digest_matches(self._query, since, until)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _sync_params(feed: FeedConfig, now: str) -> dict[str, Any]:
    return {
        "url": feed.url, "name": feed.name, "tier": feed.tier, "host": _host(feed.url),
        "interval_s": feed.interval_s, "now": now, "removed": REMOVED_FROM_CONFIG,
    }


def _due_query(
    now: str, limit: int, ignore_schedule: bool, urls: Sequence[str]
) -> tuple[str, list[Any]]:
    """Due feeds, oldest next check first. Named URLs are a manual override: schedule and
    disabled state are ignored; a live lease held by anyone, and a host's Retry-After, are
    always respected."""
    where = [
        "(lease_until IS NULL OR lease_until <= ?)",
        "host NOT IN (SELECT host FROM host_backoff WHERE until > ?)",
    ]
    params: list[Any] = [now, now]
    if urls:
        where.append(f"url IN ({','.join('?' * len(urls))})")
        params += list(urls)
    else:
        where.append("disabled_reason IS NULL")
        if not ignore_schedule:
            where.append("next_check_at <= ?")
            params.append(now)
    sql = f"SELECT id FROM feeds WHERE {' AND '.join(where)} ORDER BY next_check_at, id LIMIT ?"
    return sql, [*params, limit]


__all__ = ["SqliteStore", "connect"]
