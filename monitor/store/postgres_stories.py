"""The persisted story index on PostgreSQL: `story_bands(band_key, story_id, last_seen_at)`.

The same index as on SQLite (see `sqlite_stories`): candidates come only from the item's band
keys, the `per_key` most recently seen stories per key within the window, ranked by how many keys
they share with the item. `PostgresStore.assign_story` runs it inside one short transaction that
first takes the story advisory lock, so assignments from every worker happen one at a time and
each sees the stories the previous one committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from monitor.store.story_codec import candidate_from, candidate_json
from monitor.stories import StoryCandidate
from monitor.stories_index import DEFAULT_LIMIT, DEFAULT_PER_KEY

# Any constant unique to this purpose: serialises story assignment across every worker.
STORY_LOCK = 0x6D6F6E02

# Per band key, the newest `per_key` links inside the window (a backward scan of the
# (band_key, last_seen_at) index that stops after `per_key` rows, however many stories share the
# key; a window function would read them all), ranked on ids, then the winners' state is read.
_CANDIDATES = """
WITH top AS (
    SELECT hit.story_id, COUNT(*) AS shared
    FROM unnest(%s::text[]) AS k(band_key)
    CROSS JOIN LATERAL (
        SELECT b.story_id FROM story_bands b
        WHERE b.band_key = k.band_key AND b.last_seen_at >= %s
        ORDER BY b.last_seen_at DESC LIMIT %s
    ) hit
    JOIN stories s ON s.id = hit.story_id
    WHERE s.fingerprint IS NOT NULL
    GROUP BY hit.story_id ORDER BY shared DESC, hit.story_id DESC LIMIT %s
)
SELECT s.id, s.title, s.primary_country, s.first_seen_at, s.last_seen_at, s.fingerprint
FROM top JOIN stories s ON s.id = top.story_id
ORDER BY top.shared DESC, s.id DESC
"""

_SAVE = """
UPDATE stories SET title = %s, first_seen_at = %s, last_seen_at = %s, primary_country = %s,
    fingerprint = %s
WHERE id = %s
"""

_BAND = """
INSERT INTO story_bands (band_key, story_id, last_seen_at) VALUES (%s, %s, %s)
ON CONFLICT (band_key, story_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
"""


def lock_stories(conn: psycopg.Connection[dict[str, Any]]) -> None:
    """Serialise with every other story writer until the transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (STORY_LOCK,))


class PostgresStoryIndex:
    """`monitor.stories.StoryIndex` over the caller's open transaction."""

    def __init__(
        self,
        conn: psycopg.Connection[dict[str, Any]],
        per_key: int = DEFAULT_PER_KEY,
        limit: int = DEFAULT_LIMIT,
    ) -> None:
        self.conn, self.per_key, self.limit = conn, per_key, limit

    def new_story_id(self) -> int:
        """An empty story row (no outlets yet, so never listed); `add` fills it in."""
        row = self.conn.execute(
            "INSERT INTO stories (title, first_seen_at, last_seen_at, outlet_count) "
            "VALUES ('', now(), now(), 0) RETURNING id"
        ).fetchone()
        assert row is not None
        return int(row["id"])

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        if not band_keys:
            return []
        rows = self.conn.execute(
            _CANDIDATES, (list(dict.fromkeys(band_keys)), since, self.per_key, self.limit)
        ).fetchall()
        return [
            candidate_from(row["id"], row["fingerprint"], row["title"], row["primary_country"],
                           row["first_seen_at"], row["last_seen_at"])
            for row in rows
        ]

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        self.conn.execute(
            _SAVE,
            (candidate.title, candidate.first_seen, candidate.last_seen,
             candidate.primary_country, candidate_json(candidate), candidate.story_id),
        )
        with self.conn.cursor() as cur:
            cur.executemany(
                _BAND, [(key, candidate.story_id, candidate.last_seen) for key in band_keys]
            )
