"""The outbox and digest runs on PostgreSQL: claim, complete, fail, defer; history; digests.

Claiming is one short statement: the due rows are picked `FOR UPDATE SKIP LOCKED` (senders
never wait for each other, nor get the same row) and leased under one fresh token in the same
`UPDATE`. Sending happens outside any transaction; every completion is an
`UPDATE … WHERE lease_token = :mine AND status = 'pending'` whose row count tells the caller
whether the lease still held. A digest run and its outbox row are written together; the
(recipient, day) primary key makes concurrent senders queue one digest between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from monitor.records import DigestMatch, DigestRun, OutboxRow, SentAlert
from monitor.store import postgres_review as review
from monitor.store.postgres_review import Query, Row
from monitor.types import OutboxMessage

Conn = psycopg.Connection[dict[str, Any]]

_FREE = "(lease_until IS NULL OR lease_until <= %(now)s)"

_CLAIM = f"""
WITH due AS (
    SELECT id FROM outbox
    WHERE status = 'pending' AND next_attempt_at <= %(now)s AND {_FREE} {{kinds}}
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET lease_owner = %(owner)s, lease_until = %(until)s, lease_token = %(token)s
FROM due WHERE o.id = due.id
RETURNING o.*
"""

_ALERT_REFS = """
SELECT m.id AS match_id, i.id AS item_id, i.story_id, COALESCE(s.outlet_count, 1) AS outlets
FROM items i
JOIN matches m ON m.item_id = i.id AND m.rule = %s
LEFT JOIN stories s ON s.id = i.story_id
WHERE i.feed_id = %s AND i.key = %s
"""

_ALERTED = """
SELECT m.id FROM matches m JOIN items i ON i.id = m.item_id
WHERE m.matched_at >= %(since)s AND m.matched_at < %(until)s AND EXISTS (
    SELECT 1 FROM outbox o WHERE o.kind = 'alert' AND o.created_at >= %(since)s
    AND o.payload->>'feed_id' = i.feed_id::text
    AND o.payload->>'item_key' = i.key
    AND o.payload->>'rule' = m.rule)
"""

_PENDING_MINE = "id = ANY(%(ids)s) AND lease_token = %(token)s AND status = 'pending'"
_UNLEASE = "lease_owner = NULL, lease_until = NULL, lease_token = NULL"


def row_from_db(row: Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"], kind=row["kind"], recipient=row["recipient"],
        dedupe_key=row["dedupe_key"], payload=dict(row["payload"] or {}), status=row["status"],
        attempts=row["attempts"], created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"], sent_at=row["sent_at"],
        last_error=row["last_error"], message_id=row["message_id"],
        lease_token=row["lease_token"],
    )


def claim(
    conn: Conn, now: datetime, owner: str, lease_s: float, limit: int, kinds: Sequence[str], *,
    token: str,
) -> list[OutboxRow]:
    """Lease up to `limit` due pending rows, oldest due first, under `token`."""
    params: dict[str, Any] = {
        "now": now, "limit": limit, "owner": owner, "token": token,
        "until": now + timedelta(seconds=lease_s), "kinds": list(kinds),
    }
    sql = _CLAIM.format(kinds="AND kind = ANY(%(kinds)s)" if kinds else "")
    rows = conn.execute(sql, params).fetchall()
    claimed = sorted((row_from_db(r) for r in rows), key=lambda r: (r.next_attempt_at, r.id))
    return [_with_refs(conn, row) for row in claimed]


def _with_refs(conn: Conn, row: OutboxRow) -> OutboxRow:
    """Alert rows get the stored ids and the story's current outlet count (see SQLite twin)."""
    payload = row.payload
    if row.kind != "alert" or "item_key" not in payload:
        return row
    found = conn.execute(
        _ALERT_REFS, (payload.get("rule"), payload.get("feed_id"), payload.get("item_key"))
    ).fetchone()
    if found is None:
        return row
    return replace(row, payload={**payload, **found})


def complete(conn: Conn, ids: Sequence[int], token: str, sent_at: datetime, message_id: str
             ) -> int:
    return conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = %(sent_at)s, message_id = %(mid)s, "
        f"attempts = attempts + 1, last_error = NULL, {_UNLEASE} WHERE {_PENDING_MINE}",
        {"sent_at": sent_at, "mid": message_id, "ids": list(ids), "token": token},
    ).rowcount


def fail(conn: Conn, ids: Sequence[int], token: str, error: str, next_attempt_at: datetime,
         permanent: bool) -> int:
    return conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = %(error)s, "
        f"next_attempt_at = %(at)s, status = %(status)s, {_UNLEASE} WHERE {_PENDING_MINE}",
        {"error": error, "at": next_attempt_at, "status": "failed" if permanent else "pending",
         "ids": list(ids), "token": token},
    ).rowcount


def release(conn: Conn, ids: Sequence[int], token: str, next_attempt_at: datetime) -> int:
    return conn.execute(
        f"UPDATE outbox SET next_attempt_at = %(at)s, {_UNLEASE} WHERE {_PENDING_MINE}",
        {"at": next_attempt_at, "ids": list(ids), "token": token},
    ).rowcount


def requeue(conn: Conn, ids: Sequence[int], now: datetime) -> int:
    return conn.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = %s "
        "WHERE id = ANY(%s) AND status = 'failed'",
        (now, list(ids)),
    ).rowcount


def sent_alerts(query: Query, since: datetime) -> list[SentAlert]:
    rows = query(
        "SELECT payload->>'rule' AS rule, recipient, sent_at, message_id FROM outbox "
        "WHERE kind = 'alert' AND status = 'sent' AND sent_at >= %s ORDER BY sent_at, id",
        [since],
    )
    return [
        SentAlert(str(r["rule"]), r["recipient"], r["sent_at"], r["message_id"] or "")
        for r in rows
    ]


def list_outbox(query: Query, status: str | None, limit: int | None) -> list[OutboxRow]:
    sql = "SELECT * FROM outbox"
    params: list[Any] = []
    if status is not None:
        sql += " WHERE status = %s"
        params.append(status)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return [row_from_db(row) for row in query(sql, params)]


def _run_from_db(row: Row) -> DigestRun:
    return DigestRun(
        recipient=row["recipient"], digest_date=row["digest_date"],
        period_start=row["period_start"], period_end=row["period_end"],
        outbox_id=row["outbox_id"],
    )


def digest_run(query: Query, recipient: str, day: date) -> DigestRun | None:
    rows = query(
        "SELECT * FROM digest_runs WHERE recipient = %s AND digest_date = %s", [recipient, day]
    )
    return _run_from_db(rows[0]) if rows else None


def last_digest_run(query: Query, recipient: str) -> DigestRun | None:
    rows = query(
        "SELECT * FROM digest_runs WHERE recipient = %s ORDER BY period_end DESC LIMIT 1",
        [recipient],
    )
    return _run_from_db(rows[0]) if rows else None


def record_digest(
    conn: Conn, run: DigestRun, message: OutboxMessage, now: datetime, force: bool
) -> int | None:
    """The run and its outbox row together, or nothing when the day's digest exists already
    (unless `force`). A concurrent sender's insert of the same key waits for ours to commit,
    then does nothing."""
    key = {"recipient": run.recipient, "day": run.digest_date}
    period = {"start": run.period_start, "end": run.period_end, "now": now}
    inserted = conn.execute(
        "INSERT INTO digest_runs (recipient, digest_date, period_start, period_end, created_at) "
        "VALUES (%(recipient)s, %(day)s, %(start)s, %(end)s, %(now)s) ON CONFLICT DO NOTHING",
        {**key, **period},
    ).rowcount
    if not inserted and not force:
        return None
    row = conn.execute(
        "INSERT INTO outbox (kind, recipient, dedupe_key, payload, created_at, next_attempt_at) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        (message.kind, message.recipient, message.dedupe_key, Jsonb(dict(message.payload)),
         now, now),
    ).fetchone()
    if row is None:
        return None
    conn.execute(
        "UPDATE digest_runs SET outbox_id = %(id)s, period_start = %(start)s, "
        "period_end = %(end)s, created_at = %(now)s "
        "WHERE recipient = %(recipient)s AND digest_date = %(day)s",
        {"id": row["id"], **key, **period},
    )
    return int(row["id"])


def digest_matches(query: Query, since: datetime, until: datetime) -> list[DigestMatch]:
    """Matches with since <= matched_at < until, each flagged when an alert was queued for it."""
    found = review.list_matches(
        query, since=since, rule=None, region=None, status=None, limit=None
    )
    alerted = {row["id"] for row in query(_ALERTED, {"since": since, "until": until})}
    return [DigestMatch(m, m.id in alerted) for m in found if m.matched_at < until]
