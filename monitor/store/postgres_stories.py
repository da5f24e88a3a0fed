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

_CANDIDATES = """
WITH recent AS (
    SELECT story_id, ROW_NUMBER() OVER (PARTITION BY band_key ORDER BY last_seen_at DESC) AS rank
    FROM story_bands WHERE band_key = ANY(%s) AND last_seen_at >= %s
)
SELECT s.id, s.title, s.primary_country, s.first_seen_at, s.last_seen_at, s.fingerprint,
       COUNT(*) AS shared
FROM recent JOIN stories s ON s.id = recent.story_id
WHERE recent.rank <= %s AND s.fingerprint IS NOT NULL
GROUP BY s.id ORDER BY shared DESC, s.id DESC LIMIT %s
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
            _CANDIDATES, (list(band_keys), since, self.per_key, self.limit)
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
