"""The story index on PostgreSQL: the worker's window of buckets (`story_window`) over the
`stories` table's `fingerprint`, `band_keys` and `rev` columns.

`PostgresStore.assign_story` runs it inside one short transaction that first takes the story
advisory lock, so assignments from every worker happen one at a time, each sees the stories the
previous one committed, and revisions are written in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg

from monitor.store.story_codec import candidate_from, candidate_json
from monitor.store.story_window import Decoded, StoryWindow, WindowedStoryIndex

# Any constant unique to this purpose: serialises story assignment across every worker.
STORY_LOCK = 0x6D6F6E02

_ROWS = """
SELECT id, title, primary_country, first_seen_at, last_seen_at, fingerprint, band_keys, rev
FROM stories WHERE fingerprint IS NOT NULL AND {where}
"""

_UPDATE = """
UPDATE stories SET title = %s, first_seen_at = %s, last_seen_at = %s, primary_country = %s,
    fingerprint = %s, band_keys = %s, rev = %s
WHERE id = %s
"""

_RESERVE = (
    "SELECT nextval(pg_get_serial_sequence('stories', 'id')) AS id FROM generate_series(1, %s)"
)

_INSERT = """
INSERT INTO stories (title, first_seen_at, last_seen_at, primary_country, fingerprint,
    band_keys, rev, id, outlet_count)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0)
"""


def lock_stories(conn: psycopg.Connection[dict[str, Any]]) -> None:
    """Serialise with every other story writer until the transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (STORY_LOCK,))


class PostgresStoryIndex(WindowedStoryIndex):
    """`monitor.stories.StoryIndex` over the caller's open transaction (story lock held)."""

    def __init__(self, conn: psycopg.Connection[dict[str, Any]], window: StoryWindow) -> None:
        super().__init__(window)
        self.conn = conn
        self._ids: list[int] = []

    def _next_id(self) -> int:
        if not self._ids:
            self._ids = self._reserved_ids(self.conn.execute(_RESERVE, (self.remaining,)))
        return self._ids.pop()

    @staticmethod
    def _reserved_ids(cursor: psycopg.Cursor[dict[str, Any]]) -> list[int]:
        # Ids for every item left, reserved at once: unused ones are gaps, never reused.
        return [int(row["id"]) for row in reversed(cursor.fetchall())]

    def _rows(self, where: str, params: Sequence[object]) -> list[Decoded]:
        rows = self.conn.execute(_ROWS.format(where=where), params).fetchall()
        return [
            Decoded(
                row["rev"],
                candidate_from(row["id"], row["fingerprint"], row["title"],
                               row["primary_country"], row["first_seen_at"], row["last_seen_at"]),
                row["band_keys"],
            )
            for row in rows
        ]  # fmt: skip

    def _load(self, since: datetime) -> Iterable[Decoded]:
        return self._rows("last_seen_at >= %s ORDER BY last_seen_at", (since,))

    def _max_rev(self) -> int:
        row = self.conn.execute("SELECT COALESCE(MAX(rev), 0) AS rev FROM stories").fetchone()
        return int(row["rev"]) if row else 0

    def _changed(self, rev: int) -> Iterable[Decoded]:
        # The ids the transaction may need go in the same round trip (pipeline mode).
        reserve = self.conn.execute(_RESERVE, (self.remaining,))
        changed = self._rows("rev > %s ORDER BY rev", (rev,))
        self._ids = self._reserved_ids(reserve)
        return changed

    def _read(self, story_ids: Sequence[int]) -> Iterable[Decoded]:
        return self._rows("id = ANY(%s)", (list(story_ids),))

    def _write(self, new: Sequence[Decoded], changed: Sequence[Decoded]) -> None:
        with self.conn.cursor() as cur:
            if new:
                cur.executemany(_INSERT, [self._values(d) for d in new])
            if changed:
                cur.executemany(_UPDATE, [self._values(d) for d in changed])

    @staticmethod
    def _values(state: Decoded) -> tuple[object, ...]:
        story = state.candidate
        return (
            story.title, story.first_seen, story.last_seen, story.primary_country,
            candidate_json(story), state.band_keys, state.rev, story.story_id,
        )  # fmt: skip
