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
        self._last_id: int | None = None

    def _next_id(self) -> int:
        # Rows are written at the end of the transaction: count on from the stored ids.
        if self._last_id is None:
            row = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM stories").fetchone()
            self._last_id = int(row[0])
        self._last_id += 1
        return self._last_id

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

    def _write(self, new: Sequence[Decoded], changed: Sequence[Decoded]) -> None:
        self.conn.executemany(_INSERT, [self._values(d) for d in new])
        self.conn.executemany(_UPDATE, [self._values(d) for d in changed])

    @staticmethod
    def _values(state: Decoded) -> tuple[object, ...]:
        story = state.candidate
        return (
            story.title, ts(story.first_seen), ts(story.last_seen), story.primary_country,
            candidate_json(story), state.band_keys, state.rev, story.story_id,
        )  # fmt: skip
