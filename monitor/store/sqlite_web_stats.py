"""The web UI's counting SQL: rule hit counts, matches per country and per day, the totals
/metrics exposes, and the "poll now" request (an audited `next_check_at` move: the worker,
not the web process, does the fetching)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.records import StoreStats
from monitor.store.sqlite_codec import ts

Query = Callable[[str, Sequence[Any]], list[sqlite3.Row]]
HIT_WINDOWS_DAYS = (1, 7, 30)
DAILY_KEYS = {"rule": "m.rule", "country": "COALESCE(i.primary_country, '')"}


def audit(
    conn: sqlite3.Connection,
    now: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, object],
) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, entity, entity_id, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (ts(now), actor, action, entity, entity_id, json.dumps(detail, ensure_ascii=False)),
    )


def request_poll(conn: sqlite3.Connection, feed_id: int, actor: str, now: datetime) -> bool:
    """Make the feed due now (the next worker tick polls it); False when there is no such feed."""
    changed = conn.execute(
        "UPDATE feeds SET next_check_at = ? WHERE id = ?", (ts(now), feed_id)
    ).rowcount
    if changed:
        audit(conn, now, actor, "poll_now", "feed", str(feed_id), {})
    return bool(changed)


def rule_hit_counts(query: Query, now: datetime) -> dict[str, tuple[int, int, int]]:
    """rule → matches in the last 1, 7 and 30 days."""
    d1, d7, d30 = (ts(now - timedelta(days=d)) for d in HIT_WINDOWS_DAYS)
    rows = query(
        "SELECT rule, SUM(matched_at >= ?) AS d1, SUM(matched_at >= ?) AS d7, COUNT(*) AS d30 "
        "FROM matches WHERE matched_at >= ? GROUP BY rule",
        [d1, d7, d30],
    )
    return {row["rule"]: (int(row["d1"]), int(row["d7"]), int(row["d30"])) for row in rows}


def country_counts(query: Query, since: datetime) -> dict[str, int]:
    """Primary country → matches since `since` (matches without one are left out)."""
    rows = query(
        "SELECT i.primary_country AS c, COUNT(*) AS n FROM matches m JOIN items i "
        "ON i.id = m.item_id WHERE m.matched_at >= ? AND i.primary_country IS NOT NULL "
        "GROUP BY c ORDER BY n DESC",
        [ts(since)],
    )
    return {row["c"]: int(row["n"]) for row in rows}


def daily_counts(query: Query, since: datetime, by: str) -> dict[str, dict[str, int]]:
    """`by` ("rule" or "country") → {UTC day "YYYY-MM-DD" → matches}."""
    key = DAILY_KEYS[by]
    rows = query(
        f"SELECT {key} AS k, substr(m.matched_at, 1, 10) AS day, COUNT(*) AS n "
        "FROM matches m JOIN items i ON i.id = m.item_id WHERE m.matched_at >= ? "
        "GROUP BY k, day ORDER BY k, day",
        [ts(since)],
    )
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["k"], {})[row["day"]] = int(row["n"])
    return found


_STATS = """
SELECT
  (SELECT COUNT(*) FROM cycles) AS cycles,
  (SELECT COALESCE(SUM(feeds), 0) FROM cycles) AS feeds_polled,
  (SELECT COALESCE(SUM(errors), 0) FROM cycles) AS poll_errors,
  (SELECT COUNT(*) FROM items) AS items,
  (SELECT COUNT(*) FROM matches) AS matches,
  (SELECT COUNT(*) FROM outbox WHERE kind = 'alert' AND status = 'sent') AS alerts_sent,
  (SELECT COUNT(*) FROM outbox WHERE kind = 'alert' AND status = 'failed') AS alerts_failed,
  (SELECT COUNT(*) FROM outbox WHERE status = 'pending') AS outbox_pending,
  (SELECT COUNT(*) FROM feeds WHERE error_count > 0 AND disabled_reason IS NULL) AS failing,
  (SELECT (julianday(finished_at) - julianday(started_at)) * 86400 FROM cycles
   ORDER BY finished_at DESC, id DESC LIMIT 1) AS last_cycle_s
"""


def store_stats(query: Query) -> StoreStats:
    row = query(_STATS, [])[0]
    last = row["last_cycle_s"]
    return StoreStats(
        cycles=row["cycles"], feeds_polled=row["feeds_polled"], poll_errors=row["poll_errors"],
        items=row["items"], matches=row["matches"], alerts_sent=row["alerts_sent"],
        alerts_failed=row["alerts_failed"], outbox_pending=row["outbox_pending"],
        last_cycle_s=None if last is None else float(last), feeds_failing=row["failing"],
    )
