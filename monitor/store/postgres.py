"""`PostgresStore`: the scale-out `Store` (psycopg 3), shared by many workers on many machines.

The database is the only coordinator (DESIGN.md §4). Every statement runs on a pooled
connection in autocommit mode; write paths open a short explicit transaction. Claims pick due
rows `FOR UPDATE SKIP LOCKED` and lease them (owner, until, token) in the same statement, so
workers never wait for each other and never get the same row; network I/O happens outside any
transaction; completion is fenced by the token (see `postgres_complete`). The pool is sized by
the threads using the store (the poll loop, the sender thread, web handlers), not by concurrent
fetches. `statement_timeout` and `idle_in_transaction_session_timeout` bound what a stuck
client can hold.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from monitor.config import FeedConfig
from monitor.errors import LeaseLost, StoreError
from monitor.records import (
    DigestMatch,
    DigestRun,
    OutboxRow,
    SentAlert,
    StoredMatch,
    StoredStory,
    WorkerInfo,
)
from monitor.store import postgres_feeds as sql_feeds
from monitor.store import postgres_outbox as outbox
from monitor.store import postgres_review as review
from monitor.store.postgres_complete import REMOVED_FROM_CONFIG, complete
from monitor.store.postgres_copy import copy_all
from monitor.store.postgres_review import Params, Row, feed_from_row
from monitor.store.postgres_schema import migrate, pending
from monitor.store.postgres_stories import PostgresStoryIndex, lock_stories
from monitor.store.postgres_web import PostgresWebQueries
from monitor.store.story_window import StoryAssignment, StoryWindow
from monitor.types import CycleStats, Feed, FeedResult, Item, OutboxMessage

log = logging.getLogger(__name__)

Conn = psycopg.Connection[dict[str, Any]]

POOL_SIZE = 4
STATEMENT_TIMEOUT_MS = 30_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
CONNECT_TIMEOUT_S = 10.0


def connection_options() -> str:
    """Server settings every pooled connection starts with (libpq `options`)."""
    return (
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS} "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS} "
        "-c timezone=UTC"
    )


class PostgresStore(PostgresWebQueries, StoryAssignment):
    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        StoryAssignment.__init__(self)
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs={"autocommit": True, "row_factory": dict_row, "options": connection_options(),
                    "application_name": "monitor"},
            open=False,
            name="monitor",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except PoolTimeout as e:
            self._pool.close()
            raise StoreError(f"cannot connect to PostgreSQL at {_safe(url)}") from e

    # plumbing ----------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Conn]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def _pipelined(self) -> Iterator[Conn]:
        """A transaction in pipeline mode: statements whose results are not read go out without
        waiting for each other, so a completion costs a few round trips, not one per row."""
        with self._pool.connection() as conn, conn.pipeline(), conn.transaction():
            yield conn

    def _query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def migrate(self) -> None:
        with self._pool.connection() as conn:
            done = migrate(conn)
        if done:
            log.info("schema_migrated steps=%s", ",".join(done))

    def pending_migrations(self) -> list[str]:
        with self._pool.connection() as conn:
            return pending(conn)

    def schema_is_current(self) -> bool:
        return not self.pending_migrations()

    def close(self) -> None:
        self._pool.close()

    def copy_from_sqlite(self, path: Path) -> dict[str, int]:
        """Copy a (migrated) SQLite database into this empty one; rows per table."""
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
            with self._pool.connection() as conn:
                return copy_all(source, conn)

    # feeds -------------------------------------------------------------
    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> None:
        """Only rows that change are written (and so locked): workers starting together do not
        block each other's claims on thousands of unchanged feeds."""
        current = {r["url"]: r for r in self._query(
            "SELECT id, url, name, tier, interval_s, source, disabled_reason FROM feeds"
        )}
        changed = [f for f in feeds if sql_feeds.changed(current.get(f.url), f)]
        rows = [sql_feeds.sync_params(f, now) for f in changed]
        listed = {f.url for f in feeds}
        gone = [r["id"] for r in current.values() if r["url"] not in listed
                and r["source"] == "config" and r["disabled_reason"] is None]
        if not rows and not gone:
            return
        with self._write() as conn, conn.cursor() as cur:
            if rows:
                cur.executemany(sql_feeds.SYNC_FEED, rows)
            cur.execute(
                "UPDATE feeds SET disabled_reason = %s WHERE id = ANY(%s) AND source = 'config' "
                "AND disabled_reason IS NULL",
                (REMOVED_FROM_CONFIG, gone),
            )

    def add_feed(self, url: str, name: str, now: datetime, tier: str = "other") -> int:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO feeds (url, name, tier, host, source, next_check_at, created_at) "
                "VALUES (%s, %s, %s, %s, 'manual', %s, %s) ON CONFLICT (url) DO NOTHING",
                (url, name, tier, sql_feeds.host_of(url), now, now),
            )
            row = conn.execute("SELECT id FROM feeds WHERE url = %s", (url,)).fetchone()
        assert row is not None
        return int(row["id"])

    def list_feeds(self) -> list[Feed]:
        rows = self._query("SELECT * FROM feeds ORDER BY lower(name), name, url")
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
        params: dict[str, Any] = {
            "now": now, "owner": owner, "limit": limit, "urls": list(urls),
            "until": now + timedelta(seconds=lease_s),
        }
        sql = sql_feeds.CLAIM.format(filters=sql_feeds.claim_filters(ignore_schedule, urls))
        rows = self._query(sql, params)
        feeds = [feed_from_row(row) for row in rows]
        return sorted(feeds, key=lambda f: (f.next_check_at or now, f.id))

    def seen_keys(self, feed_id: int, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        rows = self._query(
            "SELECT key FROM items WHERE feed_id = %s AND key = ANY(%s)", (feed_id, list(keys))
        )
        return {row["key"] for row in rows}

    def complete_feed(self, result: FeedResult, owner: str) -> bool:
        try:
            with self._pipelined() as conn:
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
                "lost_leases) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (stats.started_at, stats.finished_at, stats.feeds, stats.new_items,
                 stats.matches, stats.errors, stats.lost_leases),
            )

    def last_cycle(self) -> CycleStats | None:
        rows = self._query("SELECT * FROM cycles ORDER BY finished_at DESC, id DESC LIMIT 1")
        if not rows:
            return None
        r = rows[0]
        return CycleStats(
            started_at=r["started_at"], finished_at=r["finished_at"], feeds=r["feeds"],
            new_items=r["new_items"], matches=r["matches"], errors=r["errors"],
            lost_leases=r["lost_leases"],
        )

    # workers ----------------------------------------------------------
    def heartbeat(
        self, name: str, host: str, pid: int, now: datetime, feeds_polled: int,
        *, stopped: bool = False,
    ) -> None:
        params = {"name": name, "host": host, "pid": pid, "now": now, "polled": feeds_polled,
                  "stopped": now if stopped else None}
        with self._write() as conn:
            conn.execute(sql_feeds.HEARTBEAT, params)

    def list_workers(self, since: datetime | None = None) -> list[WorkerInfo]:
        sql = "SELECT * FROM workers"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE last_heartbeat_at >= %s"
            params.append(since)
        rows = self._query(sql + " ORDER BY name", params)
        return [sql_feeds.worker_from_row(row) for row in rows]

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
    def _story_index(self, window: StoryWindow) -> Iterator[PostgresStoryIndex]:
        with self._pipelined() as conn:
            lock_stories(conn)
            yield PostgresStoryIndex(conn, window)

    # outbox -----------------------------------------------------------
    def claim_outbox(
        self, now: datetime, owner: str, lease_s: float, limit: int, kinds: Sequence[str] = ()
    ) -> list[OutboxRow]:
        with self._pool.connection() as conn:
            return outbox.claim(conn, now, owner, lease_s, limit, kinds, token=uuid.uuid4().hex)

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


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


__all__ = ["PostgresStore", "connection_options"]
