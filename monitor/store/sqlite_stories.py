"""The story index on SQLite: the worker's window of buckets (`story_window`) over the
`stories` table's `fingerprint`, `band_keys` and `rev` columns.

Assignment runs inside one write transaction (`BEGIN IMMEDIATE`), so items arriving together
(three outlets in one cycle, or several workers) see each other's stories.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from monitor.store.sqlite_codec import dt, ts
from monitor.store.story_codec import candidate_from, candidate_json
from monitor.store.story_window import Decoded, StoryWindow, WindowedStoryIndex
from monitor.stories import StoryCandidate

_ROWS = """
SELECT id, title, primary_country, first_seen_at, last_seen_at, fingerprint, band_keys, rev
FROM stories WHERE fingerprint IS NOT NULL AND {where}
"""

_UPDATE = """
UPDATE stories SET title = ?, first_seen_at = ?, last_seen_at = ?, primary_country = ?,
    fingerprint = ?, band_keys = ?, rev = ?
WHERE id = ?
"""

_INSERT = """
INSERT INTO stories (title, first_seen_at, last_seen_at, primary_country, fingerprint,
    band_keys, rev, id, outlet_count)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)
"""


class SqliteStoryIndex(WindowedStoryIndex):
    """`monitor.stories.StoryIndex` over the caller's open write transaction."""

    def __init__(self, conn: sqlite3.Connection, window: StoryWindow) -> None:
        super().__init__(window)
        self.conn = conn

    def _next_id(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM stories").fetchone()[0])

    def _rows(self, where: str, params: Sequence[object]) -> list[Decoded]:
        return [
            Decoded(
                row["rev"],
                candidate_from(
                    row["id"], row["fingerprint"], row["title"], row["primary_country"],
                    dt(row["first_seen_at"]), dt(row["last_seen_at"]),
                ),
                row["band_keys"],
            )
            for row in self.conn.execute(_ROWS.format(where=where), params)
        ]  # fmt: skip

    def _load(self, since: datetime) -> Iterable[Decoded]:
        return self._rows("last_seen_at >= ? ORDER BY last_seen_at", (ts(since),))

    def _max_rev(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(rev), 0) FROM stories").fetchone()[0])

    def _changed(self, rev: int) -> Iterable[Decoded]:
        return self._rows("rev > ? ORDER BY rev", (rev,))

    def _read(self, story_ids: Sequence[int]) -> Iterable[Decoded]:
        return self._rows(f"id IN ({', '.join('?' * len(story_ids))})", story_ids)

    def _insert(self, candidate: StoryCandidate, band_keys: str, rev: int) -> None:
        self.conn.execute(_INSERT, self._values(candidate, band_keys, rev))

    def _update(self, candidate: StoryCandidate, band_keys: str, rev: int) -> None:
        self.conn.execute(_UPDATE, self._values(candidate, band_keys, rev))

    @staticmethod
    def _values(candidate: StoryCandidate, band_keys: str, rev: int) -> tuple[object, ...]:
        return (
            candidate.title, ts(candidate.first_seen), ts(candidate.last_seen),
            candidate.primary_country, candidate_json(candidate), band_keys, rev,
            candidate.story_id,
        )  # fmt: skip
