"""The web UI's queries on PostgreSQL: inbox grouped by story, details, audited triage, counts.

The same results as `sqlite_web`/`sqlite_web_stats` (one contract); `PostgresWebQueries` is the
mixin giving `PostgresStore` the matching `Store` methods. A story-less item is its own inbox
row (group key `i<item id>`, stories `s<story id>`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Jsonb

from monitor.records import (
    AuditEntry,
    InboxFilter,
    InboxPage,
    InboxRow,
    MatchDetail,
    MatchPage,
    StoredItem,
    StoredStory,
    StoreStats,
    StoryDetail,
)
from monitor.store.postgres_review import SOURCE, Params, Query, Row, item_from_row, match_from_row
from monitor.types import MATCH_STATUSES, TermHit

Conn = psycopg.Connection[dict[str, Any]]
GROUP = "COALESCE('s' || i.story_id, 'i' || i.id)"
DAILY_KEYS = {"rule": "m.rule", "country": "COALESCE(i.primary_country, '')"}

_FROM = """
FROM matches m
JOIN items i ON i.id = m.item_id
JOIN feeds f ON f.id = i.feed_id
LEFT JOIN stories s ON s.id = i.story_id
"""
_COLUMNS = f"""
m.id, m.item_id, m.rule, m.severity, m.terms, m.hits, m.regions, m.status, m.note,
m.matched_at, i.title, i.link, i.published_at, i.primary_country, i.story_id,
{SOURCE} AS source, COALESCE(s.outlet_count, 1) AS story_outlets"""
_SELECT = f"SELECT {_COLUMNS}{_FROM}"
_NEWEST = " ORDER BY m.matched_at DESC, m.id DESC"

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
  (SELECT EXTRACT(EPOCH FROM finished_at - started_at) FROM cycles
   ORDER BY finished_at DESC, id DESC LIMIT 1) AS last_cycle_s
"""


def conditions(f: InboxFilter, *, status: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause (with its leading keyword, or "") for a filter."""
    where: list[str] = []
    params: list[Any] = []
    for clause, value in (("m.rule = %s", f.rule), ("m.severity = %s", f.severity),
                          ("m.status = %s", f.status if status else None),
                          ("m.matched_at >= %s", f.since), ("m.matched_at < %s", f.until)):
        if value is not None:
            where.append(clause)
            params.append(value)
    if f.region is not None:
        where.append("(i.primary_country = %s OR m.regions ? %s)")
        params += [f.region, f.region]
    if f.countries:
        where.append("(i.primary_country = ANY(%s) OR m.regions ?| %s)")
        params += [list(f.countries), list(f.countries)]
    if f.text:
        where.append("(i.title ILIKE %s OR i.summary ILIKE %s)")
        params += [_like(f.text)] * 2
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def inbox(query: Query, f: InboxFilter, limit: int, offset: int) -> InboxPage:
    where, params = conditions(f)
    groups = query(
        f"SELECT {GROUP} AS g, MAX(m.matched_at) AS latest, MAX(m.id) AS top{_FROM}{where} "
        "GROUP BY g ORDER BY latest DESC, top DESC LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    total = query(f"SELECT COUNT(DISTINCT {GROUP}) AS n{_FROM}{where}", params)[0]["n"]
    keys = [row["g"] for row in groups]
    members: dict[str, list[Row]] = {key: [] for key in keys}
    if keys:
        joiner = " AND " if where else " WHERE "
        sql = f"SELECT {GROUP} AS g, {_COLUMNS}{_FROM}{where}{joiner}{GROUP} = ANY(%s)"
        for row in query(sql + _NEWEST, [*params, keys]):
            members[row["g"]].append(row)
    rows = tuple(_inbox_row(members[key]) for key in keys)
    return InboxPage(rows, int(total), status_counts(query, f))


def _inbox_row(rows: Sequence[Row]) -> InboxRow:
    matches = tuple(match_from_row(row) for row in rows)
    outlets = max(max(m.story_outlets for m in matches), len({m.source for m in matches}))
    return InboxRow(story_id=matches[0].story_id, matches=matches, outlets=outlets)


def status_counts(query: Query, f: InboxFilter) -> dict[str, int]:
    where, params = conditions(f, status=False)
    rows = query(f"SELECT m.status, COUNT(*) AS n{_FROM}{where} GROUP BY m.status", params)
    found = {row["status"]: int(row["n"]) for row in rows}
    return {status: found.get(status, 0) for status in MATCH_STATUSES}


def search_matches(query: Query, f: InboxFilter, limit: int, offset: int) -> MatchPage:
    where, params = conditions(f)
    rows = query(f"{_SELECT}{where}{_NEWEST} LIMIT %s OFFSET %s", [*params, limit, offset])
    total = query(f"SELECT COUNT(*) AS n{_FROM}{where}", params)[0]["n"]
    return MatchPage(tuple(match_from_row(row) for row in rows), int(total))


def _detail(row: Row) -> MatchDetail:
    hits = tuple(TermHit(str(t), str(fl), int(s), int(e)) for t, fl, s, e in row["hits"] or [])
    return MatchDetail(match_from_row(row), hits)


def _copies(query: Query, where: str, param: int) -> tuple[StoredItem, ...]:
    rows = query(
        f"SELECT i.*, {SOURCE} AS source FROM items i JOIN feeds f ON f.id = i.feed_id "
        f"WHERE {where} ORDER BY COALESCE(i.published_at, i.fetched_at), i.id",
        [param],
    )
    by_item: dict[int, list[MatchDetail]] = {row["id"]: [] for row in rows}
    if by_item:
        sql = f"{_SELECT} WHERE m.item_id = ANY(%s) ORDER BY m.rule"
        for row in query(sql, [list(by_item)]):
            by_item[row["item_id"]].append(_detail(row))
    return tuple(StoredItem(row["id"], item_from_row(row), tuple(by_item[row["id"]]))
                 for row in rows)


def story_detail(query: Query, story_id: int) -> StoryDetail | None:
    rows = query("SELECT * FROM stories WHERE id = %s", [story_id])
    if not rows:
        return None
    copies = _copies(query, "i.story_id = %s", story_id)
    row = rows[0]
    story = StoredStory(
        id=row["id"], title=row["title"], first_seen=row["first_seen_at"],
        last_seen=row["last_seen_at"], primary_region=row["primary_country"],
        outlets=tuple(dict.fromkeys(c.item.source for c in copies)),
        outlet_count=row["outlet_count"], updated=bool(row["updated"]),
        item_ids=tuple(sorted(c.id for c in copies)),
    )
    return StoryDetail(story, copies, _audit_of(query, copies))


def item_detail(query: Query, item_id: int) -> StoryDetail | None:
    copies = _copies(query, "i.id = %s", item_id)
    return StoryDetail(None, copies, _audit_of(query, copies)) if copies else None


def _audit_of(query: Query, copies: Sequence[StoredItem]) -> tuple[AuditEntry, ...]:
    return tuple(audit_for(query, "match", [str(d.match.id) for c in copies for d in c.matches]))


def audit_for(query: Query, entity: str, entity_ids: Sequence[str]) -> list[AuditEntry]:
    if not entity_ids:
        return []
    rows = query(
        "SELECT * FROM audit WHERE entity = %s AND entity_id = ANY(%s) ORDER BY at, id",
        [entity, list(entity_ids)],
    )
    return [_audit(row) for row in rows]


def _audit(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"], at=row["at"], actor=row["actor"], action=row["action"],
        entity=row["entity"], entity_id=row["entity_id"], detail=dict(row["detail"] or {}),
    )


def audit(conn: Conn, now: datetime, actor: str, action: str, entity: str, entity_id: str,
          detail: Mapping[str, object]) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, entity, entity_id, detail) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (now, actor, action, entity, entity_id, Jsonb(dict(detail))),
    )


def set_match_status(conn: Conn, ids: Sequence[int], status: str | None, note: str | None,
                     actor: str, now: datetime) -> int:
    """Change status and/or note; one audit row per match actually changed. Returns how many."""
    if status is not None and status not in MATCH_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    changed = 0
    for match_id in dict.fromkeys(ids):
        row = conn.execute(
            "SELECT status, note FROM matches WHERE id = %s FOR UPDATE", (match_id,)
        ).fetchone()
        if row is None:
            continue
        detail: dict[str, object] = {}
        if status is not None and status != row["status"]:
            detail["status"] = [row["status"], status]
        if note is not None and note != row["note"]:
            detail["note"] = note
        if not detail:
            continue
        conn.execute("UPDATE matches SET status = %s, note = %s WHERE id = %s",
                     (status or row["status"], row["note"] if note is None else note, match_id))
        audit(conn, now, actor, "triage", "match", str(match_id), detail)
        changed += 1
    return changed


def request_poll(conn: Conn, feed_id: int, actor: str, now: datetime) -> bool:
    """Make the feed due now (the next worker tick polls it); False when there is no such feed."""
    changed = conn.execute(
        "UPDATE feeds SET next_check_at = %s WHERE id = %s", (now, feed_id)
    ).rowcount
    if changed:
        audit(conn, now, actor, "poll_now", "feed", str(feed_id), {})
    return bool(changed)


def rule_hit_counts(query: Query, now: datetime) -> dict[str, tuple[int, int, int]]:
    d1, d7, d30 = (now - timedelta(days=d) for d in (1, 7, 30))
    rows = query(
        "SELECT rule, COUNT(*) FILTER (WHERE matched_at >= %s) AS d1, "
        "COUNT(*) FILTER (WHERE matched_at >= %s) AS d7, COUNT(*) AS d30 "
        "FROM matches WHERE matched_at >= %s GROUP BY rule",
        [d1, d7, d30],
    )
    return {row["rule"]: (int(row["d1"]), int(row["d7"]), int(row["d30"])) for row in rows}


def country_counts(query: Query, since: datetime) -> dict[str, int]:
    rows = query(
        "SELECT i.primary_country AS c, COUNT(*) AS n FROM matches m JOIN items i "
        "ON i.id = m.item_id WHERE m.matched_at >= %s AND i.primary_country IS NOT NULL "
        "GROUP BY c ORDER BY n DESC",
        [since],
    )
    return {row["c"]: int(row["n"]) for row in rows}


def daily_counts(query: Query, since: datetime, by: str) -> dict[str, dict[str, int]]:
    key = DAILY_KEYS[by]
    rows = query(
        f"SELECT {key} AS k, to_char(m.matched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, "
        "COUNT(*) AS n FROM matches m JOIN items i ON i.id = m.item_id "
        "WHERE m.matched_at >= %s GROUP BY k, day ORDER BY k, day",
        [since],
    )
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["k"], {})[row["day"]] = int(row["n"])
    return found


def store_stats(query: Query) -> StoreStats:
    row = query(_STATS, [])[0]
    last = row["last_cycle_s"]
    return StoreStats(
        cycles=row["cycles"], feeds_polled=int(row["feeds_polled"]),
        poll_errors=int(row["poll_errors"]), items=row["items"], matches=row["matches"],
        alerts_sent=row["alerts_sent"], alerts_failed=row["alerts_failed"],
        outbox_pending=row["outbox_pending"],
        last_cycle_s=None if last is None else float(last), feeds_failing=row["failing"],
    )


class _Plumbing(Protocol):
    def _query(self, sql: str, params: Params = ...) -> list[Row]: ...

    def _write(self) -> AbstractContextManager[Conn]: ...


class PostgresWebQueries:
    """`Store` methods for the web UI, mixed into `PostgresStore` (which provides the plumbing)."""

    def inbox(self: _Plumbing, f: InboxFilter, limit: int = 50, offset: int = 0) -> InboxPage:
        return inbox(self._query, f, limit, offset)

    def search_matches(
        self: _Plumbing, f: InboxFilter, limit: int = 50, offset: int = 0
    ) -> MatchPage:
        return search_matches(self._query, f, limit, offset)

    def match_detail(self: _Plumbing, match_id: int) -> MatchDetail | None:
        rows = self._query(f"{_SELECT} WHERE m.id = %s", [match_id])
        return _detail(rows[0]) if rows else None

    def story_detail(self: _Plumbing, story_id: int) -> StoryDetail | None:
        return story_detail(self._query, story_id)

    def item_detail(self: _Plumbing, item_id: int) -> StoryDetail | None:
        return item_detail(self._query, item_id)

    def set_match_status(
        self: _Plumbing, ids: Sequence[int], status: str | None, note: str | None, actor: str,
        now: datetime,
    ) -> int:
        with self._write() as conn:
            return set_match_status(conn, ids, status, note, actor, now)

    def audit_for(self: _Plumbing, entity: str, entity_ids: Sequence[str]) -> list[AuditEntry]:
        return audit_for(self._query, entity, entity_ids)

    def recent_audit(self: _Plumbing, limit: int = 100) -> list[AuditEntry]:
        rows = self._query("SELECT * FROM audit ORDER BY at DESC, id DESC LIMIT %s", [limit])
        return [_audit(row) for row in rows]

    def request_poll(self: _Plumbing, feed_id: int, actor: str, now: datetime) -> bool:
        with self._write() as conn:
            return request_poll(conn, feed_id, actor, now)

    def rule_hit_counts(self: _Plumbing, now: datetime) -> dict[str, tuple[int, int, int]]:
        return rule_hit_counts(self._query, now)

    def country_counts(self: _Plumbing, since: datetime) -> dict[str, int]:
        return country_counts(self._query, since)

    def daily_counts(self: _Plumbing, since: datetime, by: str) -> dict[str, dict[str, int]]:
        return daily_counts(self._query, since, by)

    def stats(self: _Plumbing) -> StoreStats:
        return store_stats(self._query)
