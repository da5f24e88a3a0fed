"""The outbox and digest runs on SQLite: claim, complete, fail, defer; history; digest records.

Write functions run inside the caller's `BEGIN IMMEDIATE` transaction and take the connection;
read functions take the store's query callable. Claiming follows DESIGN §4: one short
transaction leases the due rows (owner, until, token); sending happens outside any transaction;
every completion is an `UPDATE … WHERE lease_token = :mine AND status = 'pending'` whose row
count tells the caller whether the lease still held.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from monitor.records import DigestMatch, DigestRun, OutboxRow, SentAlert
from monitor.store import sqlite_review as review
from monitor.store.sqlite_codec import dt, dt_or_none, ts
from monitor.types import OutboxMessage

Query = Callable[[str, Sequence[Any]], list[sqlite3.Row]]

_FREE = "(lease_until IS NULL OR lease_until <= ?)"

_ALERT_REFS = """
SELECT m.id AS match_id, i.id AS item_id, i.story_id, COALESCE(s.outlet_count, 1) AS outlets
FROM items i
JOIN matches m ON m.item_id = i.id AND m.rule = ?
LEFT JOIN stories s ON s.id = i.story_id
WHERE i.feed_id = ? AND i.key = ?
"""

_ALERTED = """
SELECT m.id FROM matches m JOIN items i ON i.id = m.item_id
WHERE m.matched_at >= ? AND m.matched_at < ? AND EXISTS (
    SELECT 1 FROM outbox o WHERE o.kind = 'alert' AND o.created_at >= ?
    AND json_extract(o.payload, '$.feed_id') = i.feed_id
    AND json_extract(o.payload, '$.item_key') = i.key
    AND json_extract(o.payload, '$.rule') = m.rule)
"""


def _marks(ids: Sequence[object]) -> str:
    return ",".join("?" * len(ids))


def row_from_db(row: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        kind=row["kind"],
        recipient=row["recipient"],
        dedupe_key=row["dedupe_key"],
        payload=json.loads(row["payload"] or "{}"),
        status=row["status"],
        attempts=row["attempts"],
        created_at=dt(row["created_at"]),
        next_attempt_at=dt(row["next_attempt_at"]),
        sent_at=dt_or_none(row["sent_at"]),
        last_error=row["last_error"],
        message_id=row["message_id"],
        lease_token=row["lease_token"],
    )


def claim(
    conn: sqlite3.Connection,
    now: datetime,
    owner: str,
    lease_s: float,
    limit: int,
    kinds: Sequence[str] = (),
) -> list[OutboxRow]:
    """Lease up to `limit` due pending rows, oldest due first, under one fresh token."""
    where = f"status = 'pending' AND next_attempt_at <= ? AND {_FREE}"
    params: list[Any] = [ts(now), ts(now)]
    if kinds:
        where += f" AND kind IN ({_marks(kinds)})"
        params += list(kinds)
    sql = f"SELECT id FROM outbox WHERE {where} ORDER BY next_attempt_at, id LIMIT ?"
    ids = [row["id"] for row in conn.execute(sql, [*params, limit]).fetchall()]
    if not ids:
        return []
    until = ts(now + timedelta(seconds=lease_s))
    token = uuid.uuid4().hex
    rows = conn.execute(
        f"UPDATE outbox SET lease_owner = ?, lease_until = ?, lease_token = ? "
        f"WHERE id IN ({_marks(ids)}) AND {_FREE} RETURNING *",
        [owner, until, token, *ids, ts(now)],
    ).fetchall()
    claimed = sorted((row_from_db(row) for row in rows), key=lambda r: (r.next_attempt_at, r.id))
    return [_with_refs(conn, row) for row in claimed]


def _with_refs(conn: sqlite3.Connection, row: OutboxRow) -> OutboxRow:
    """Alert rows are written before their item has an id: add the stored ids and the story's
    outlet count as they are now, for links and "reported by N outlets"."""
    payload = row.payload
    if row.kind != "alert" or "item_key" not in payload:
        return row
    found = conn.execute(
        _ALERT_REFS, (payload.get("rule"), payload.get("feed_id"), payload.get("item_key"))
    ).fetchone()
    if found is None:
        return row
    refs = {key: found[key] for key in ("match_id", "item_id", "story_id", "outlets")}
    return replace(row, payload={**payload, **refs})


def complete(
    conn: sqlite3.Connection, ids: Sequence[int], token: str, sent_at: datetime, message_id: str
) -> int:
    """Mark rows sent (one message may carry several rows); returns how many were still ours."""
    return conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1, "
        "last_error = NULL, lease_owner = NULL, lease_until = NULL, lease_token = NULL "
        f"WHERE id IN ({_marks(ids)}) AND lease_token = ? AND status = 'pending'",
        [ts(sent_at), message_id, *ids, token],
    ).rowcount


def fail(
    conn: sqlite3.Connection,
    ids: Sequence[int],
    token: str,
    error: str,
    next_attempt_at: datetime,
    permanent: bool,
) -> int:
    """Count a failed attempt: retry at `next_attempt_at`, or give up (status 'failed')."""
    return conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
        "status = ?, lease_owner = NULL, lease_until = NULL, lease_token = NULL "
        f"WHERE id IN ({_marks(ids)}) AND lease_token = ? AND status = 'pending'",
        [error, ts(next_attempt_at), "failed" if permanent else "pending", *ids, token],
    ).rowcount


def release(
    conn: sqlite3.Connection, ids: Sequence[int], token: str, next_attempt_at: datetime
) -> int:
    """Give rows back unattempted, due again at `next_attempt_at` (a cooldown's end)."""
    return conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, "
        f"lease_token = NULL WHERE id IN ({_marks(ids)}) AND lease_token = ? "
        "AND status = 'pending'",
        [ts(next_attempt_at), *ids, token],
    ).rowcount


def requeue(conn: sqlite3.Connection, ids: Sequence[int], now: datetime) -> int:
    """Failed rows back to pending, due now, with a fresh retry budget (last_error kept)."""
    return conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? "
        f"WHERE id IN ({_marks(ids)}) AND status = 'failed'",
        [ts(now), *ids],
    ).rowcount


def sent_alerts(query: Query, since: datetime) -> list[SentAlert]:
    rows = query(
        "SELECT json_extract(payload, '$.rule') AS rule, recipient, sent_at, message_id "
        "FROM outbox WHERE kind = 'alert' AND status = 'sent' AND sent_at >= ? "
        "ORDER BY sent_at, id",
        [ts(since)],
    )
    return [
        SentAlert(str(r["rule"]), r["recipient"], dt(r["sent_at"]), r["message_id"] or "")
        for r in rows
    ]


def list_outbox(query: Query, status: str | None, limit: int | None) -> list[OutboxRow]:
    sql = "SELECT * FROM outbox"
    params: list[Any] = []
    if status is not None:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [row_from_db(row) for row in query(sql, params)]


def _run_from_db(row: sqlite3.Row) -> DigestRun:
    return DigestRun(
        recipient=row["recipient"],
        digest_date=date.fromisoformat(row["digest_date"]),
        period_start=dt(row["period_start"]),
        period_end=dt(row["period_end"]),
        outbox_id=row["outbox_id"],
    )


def digest_run(query: Query, recipient: str, day: date) -> DigestRun | None:
    rows = query(
        "SELECT * FROM digest_runs WHERE recipient = ? AND digest_date = ?",
        [recipient, day.isoformat()],
    )
    return _run_from_db(rows[0]) if rows else None


def last_digest_run(query: Query, recipient: str) -> DigestRun | None:
    rows = query(
        "SELECT * FROM digest_runs WHERE recipient = ? ORDER BY period_end DESC LIMIT 1",
        [recipient],
    )
    return _run_from_db(rows[0]) if rows else None


def record_digest(
    conn: sqlite3.Connection, run: DigestRun, message: OutboxMessage, now: datetime, force: bool
) -> int | None:
    """The run and its outbox row together, or nothing when the day's digest exists already
    (unless `force`, which records the new period and queues another message)."""
    params = [run.recipient, run.digest_date.isoformat(), ts(run.period_start),
              ts(run.period_end), ts(now)]
    inserted = conn.execute(
        "INSERT OR IGNORE INTO digest_runs (recipient, digest_date, period_start, period_end, "
        "created_at) VALUES (?, ?, ?, ?, ?)",
        params,
    ).rowcount
    if not inserted and not force:
        return None
    cur = conn.execute(
        "INSERT OR IGNORE INTO outbox (kind, recipient, dedupe_key, payload, created_at, "
        "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
        (message.kind, message.recipient, message.dedupe_key,
         json.dumps(dict(message.payload)), ts(now), ts(now)),
    )
    if cur.rowcount != 1:
        return None
    conn.execute(
        "UPDATE digest_runs SET outbox_id = ?, period_start = ?, period_end = ?, created_at = ? "
        "WHERE recipient = ? AND digest_date = ?",
        [cur.lastrowid, *params[2:], *params[:2]],
    )
    return cur.lastrowid


def digest_matches(query: Query, since: datetime, until: datetime) -> list[DigestMatch]:
    """Matches with since <= matched_at < until, each flagged when an alert was queued for it."""
    found = review.list_matches(
        query, since=since, rule=None, region=None, status=None, limit=None
    )
    # An alert row is written in the same transaction as its match, so it is no older.
    alerted = {row["id"] for row in query(_ALERTED, [ts(since), ts(until), ts(since)])}
    return [DigestMatch(m, m.id in alerted) for m in found if m.matched_at < until]
