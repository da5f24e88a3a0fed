"""The web UI's SQL: the inbox grouped by story, match and story detail, triage with audit rows.

Functions take a `Query` (read) or a connection inside an open write transaction, like the other
`sqlite_*` modules; `WebQueries` is the mixin that gives `SqliteStore` the matching `Store`
methods. A story-less item is its own inbox row (group key `i<item id>`, stories `s<story id>`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

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
from monitor.store import sqlite_web_stats as stats
from monitor.store.sqlite_codec import dt, item_from_row, ts
from monitor.store.sqlite_review import SOURCE, _match_from_row
from monitor.types import MATCH_STATUSES, TermHit

Query = Callable[[str, Sequence[Any]], list[sqlite3.Row]]
GROUP = "COALESCE('s' || i.story_id, 'i' || i.id)"
_CHUNK = 500

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


def conditions(f: InboxFilter, *, status: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause (with its leading keyword, or "") for a filter."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("m.rule", f.rule), ("m.severity", f.severity)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if status and f.status is not None:
        where.append("m.status = ?")
        params.append(f.status)
    if f.region is not None:
        where.append("(i.primary_country = ? OR EXISTS "
                     "(SELECT 1 FROM json_each(m.regions) WHERE value = ?))")
        params += [f.region, f.region]
    if f.countries:
        marks = ",".join("?" * len(f.countries))
        where.append(f"(i.primary_country IN ({marks}) OR EXISTS "
                     f"(SELECT 1 FROM json_each(m.regions) WHERE value IN ({marks})))")
        params += [*f.countries, *f.countries]
    if f.since is not None:
        where.append("m.matched_at >= ?")
        params.append(ts(f.since))
    if f.until is not None:
        where.append("m.matched_at < ?")
        params.append(ts(f.until))
    if f.text:
        where.append("(i.title LIKE ? ESCAPE '\\' OR i.summary LIKE ? ESCAPE '\\')")
        params += [_like(f.text)] * 2
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def inbox(query: Query, f: InboxFilter, limit: int, offset: int) -> InboxPage:
    where, params = conditions(f)
    groups = query(
        f"SELECT {GROUP} AS g, MAX(m.matched_at) AS latest, MAX(m.id) AS top{_FROM}{where} "
        "GROUP BY g ORDER BY latest DESC, top DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = query(f"SELECT COUNT(DISTINCT {GROUP}) AS n{_FROM}{where}", params)[0]["n"]
    keys = [row["g"] for row in groups]
    members: dict[str, list[sqlite3.Row]] = {key: [] for key in keys}
    if keys:
        marks = ",".join("?" * len(keys))
        joiner = " AND " if where else " WHERE "
        sql = f"SELECT {GROUP} AS g, {_COLUMNS}{_FROM}{where}{joiner}{GROUP} IN ({marks})"
        for row in query(sql + _NEWEST, [*params, *keys]):
            members[row["g"]].append(row)
    rows = tuple(_inbox_row(members[key]) for key in keys)
    return InboxPage(rows, int(total), status_counts(query, f))


def _inbox_row(rows: Sequence[sqlite3.Row]) -> InboxRow:
    matches = tuple(_match_from_row(row) for row in rows)
    outlets = max(max(m.story_outlets for m in matches), len({m.source for m in matches}))
    return InboxRow(story_id=matches[0].story_id, matches=matches, outlets=outlets)


def status_counts(query: Query, f: InboxFilter) -> dict[str, int]:
    where, params = conditions(f, status=False)
    rows = query(f"SELECT m.status, COUNT(*) AS n{_FROM}{where} GROUP BY m.status", params)
    found = {row["status"]: int(row["n"]) for row in rows}
    return {status: found.get(status, 0) for status in MATCH_STATUSES}


def search_matches(query: Query, f: InboxFilter, limit: int, offset: int) -> MatchPage:
    where, params = conditions(f)
    rows = query(f"{_SELECT}{where}{_NEWEST} LIMIT ? OFFSET ?", [*params, limit, offset])
    total = query(f"SELECT COUNT(*) AS n{_FROM}{where}", params)[0]["n"]
    return MatchPage(tuple(_match_from_row(row) for row in rows), int(total))


def _hits(text: str | None) -> tuple[TermHit, ...]:
    spans = json.loads(text or "[]")
    return tuple(TermHit(str(t), str(fl), int(s), int(e)) for t, fl, s, e in spans)


def _detail(row: sqlite3.Row) -> MatchDetail:
    return MatchDetail(_match_from_row(row), _hits(row["hits"]))


def match_detail(query: Query, match_id: int) -> MatchDetail | None:
    rows = query(f"{_SELECT} WHERE m.id = ?", [match_id])
    return _detail(rows[0]) if rows else None


def _copies(query: Query, where: str, param: int) -> tuple[StoredItem, ...]:
    rows = query(
        f"SELECT i.*, {SOURCE} AS source FROM items i JOIN feeds f ON f.id = i.feed_id "
        f"WHERE {where} ORDER BY COALESCE(i.published_at, i.fetched_at), i.id",
        [param],
    )
    by_item: dict[int, list[MatchDetail]] = {row["id"]: [] for row in rows}
    ids = list(by_item)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        sql = f"{_SELECT} WHERE m.item_id IN ({','.join('?' * len(chunk))}) ORDER BY m.rule"
        for row in query(sql, chunk):
            by_item[row["item_id"]].append(_detail(row))
    return tuple(StoredItem(row["id"], item_from_row(row), tuple(by_item[row["id"]]))
                 for row in rows)


def story_detail(query: Query, story_id: int) -> StoryDetail | None:
    rows = query("SELECT * FROM stories WHERE id = ?", [story_id])
    if not rows:
        return None
    copies = _copies(query, "i.story_id = ?", story_id)
    row = rows[0]
    story = StoredStory(
        id=row["id"], title=row["title"], first_seen=dt(row["first_seen_at"]),
        last_seen=dt(row["last_seen_at"]), primary_region=row["primary_country"],
        outlets=tuple(dict.fromkeys(c.item.source for c in copies)),
        outlet_count=row["outlet_count"], updated=bool(row["updated"]),
        item_ids=tuple(sorted(c.id for c in copies)),
    )
    return StoryDetail(story, copies, _audit_of(query, copies))


def item_detail(query: Query, item_id: int) -> StoryDetail | None:
    copies = _copies(query, "i.id = ?", item_id)
    return StoryDetail(None, copies, _audit_of(query, copies)) if copies else None


def _audit_of(query: Query, copies: Sequence[StoredItem]) -> tuple[AuditEntry, ...]:
    ids = [str(d.match.id) for c in copies for d in c.matches]
    return tuple(audit_for(query, "match", ids))


def audit_for(query: Query, entity: str, entity_ids: Sequence[str]) -> list[AuditEntry]:
    """Oldest first."""
    found: list[AuditEntry] = []
    for start in range(0, len(entity_ids), _CHUNK):
        chunk = list(entity_ids[start : start + _CHUNK])
        sql = (f"SELECT * FROM audit WHERE entity = ? AND entity_id IN "
               f"({','.join('?' * len(chunk))}) ORDER BY at, id")
        found += [_audit(row) for row in query(sql, [entity, *chunk])]
    return sorted(found, key=lambda a: (a.at, a.id))


def _audit(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"], at=dt(row["at"]), actor=row["actor"], action=row["action"],
        entity=row["entity"], entity_id=row["entity_id"], detail=json.loads(row["detail"]),
    )


def set_match_status(
    conn: sqlite3.Connection,
    ids: Sequence[int],
    status: str | None,
    note: str | None,
    actor: str,
    now: datetime,
) -> int:
    """Change status and/or note; one audit row per match actually changed. Returns how many."""
    if status is not None and status not in MATCH_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    changed = 0
    for match_id in dict.fromkeys(ids):
        row = conn.execute("SELECT status, note FROM matches WHERE id = ?", (match_id,)).fetchone()
        if row is None:
            continue
        detail: dict[str, object] = {}
        if status is not None and status != row["status"]:
            detail["status"] = [row["status"], status]
        if note is not None and note != row["note"]:
            detail["note"] = note
        if not detail:
            continue
        conn.execute("UPDATE matches SET status = ?, note = ? WHERE id = ?",
                     (status or row["status"], row["note"] if note is None else note, match_id))
        stats.audit(conn, now, actor, "triage", "match", str(match_id), detail)
        changed += 1
    return changed


class _Plumbing(Protocol):
    def _query(self, sql: str, params: Sequence[Any] = ...) -> list[sqlite3.Row]: ...

    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...


class WebQueries:
    """`Store` methods for the web UI, mixed into `SqliteStore` (which provides the plumbing)."""

    def inbox(self: _Plumbing, f: InboxFilter, limit: int = 50, offset: int = 0) -> InboxPage:
        return inbox(self._query, f, limit, offset)

    def search_matches(
        self: _Plumbing, f: InboxFilter, limit: int = 50, offset: int = 0
    ) -> MatchPage:
        return search_matches(self._query, f, limit, offset)

    def match_detail(self: _Plumbing, match_id: int) -> MatchDetail | None:
        return match_detail(self._query, match_id)

    def story_detail(self: _Plumbing, story_id: int) -> StoryDetail | None:
        return story_detail(self._query, story_id)

    def item_detail(self: _Plumbing, item_id: int) -> StoryDetail | None:
        return item_detail(self._query, item_id)

    def set_match_status(
        self: _Plumbing,
        ids: Sequence[int],
        status: str | None,
        note: str | None,
        actor: str,
        now: datetime,
    ) -> int:
        with self._write() as conn:
            return set_match_status(conn, ids, status, note, actor, now)

    def audit_for(self: _Plumbing, entity: str, entity_ids: Sequence[str]) -> list[AuditEntry]:
        return audit_for(self._query, entity, entity_ids)

    def recent_audit(self: _Plumbing, limit: int = 100) -> list[AuditEntry]:
        rows = self._query("SELECT * FROM audit ORDER BY at DESC, id DESC LIMIT ?", [limit])
        return [_audit(row) for row in rows]

    def request_poll(self: _Plumbing, feed_id: int, actor: str, now: datetime) -> bool:
        with self._write() as conn:
            return stats.request_poll(conn, feed_id, actor, now)

    def rule_hit_counts(self: _Plumbing, now: datetime) -> dict[str, tuple[int, int, int]]:
        return stats.rule_hit_counts(self._query, now)

    def country_counts(self: _Plumbing, since: datetime) -> dict[str, int]:
        return stats.country_counts(self._query, since)

    def daily_counts(self: _Plumbing, since: datetime, by: str) -> dict[str, dict[str, int]]:
        return stats.daily_counts(self._query, since, by)

    def stats(self: _Plumbing) -> StoreStats:
        return stats.store_stats(self._query)
