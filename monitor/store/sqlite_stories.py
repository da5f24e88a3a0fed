"""The persisted story index on SQLite: `story_bands(band_key, story_id, last_seen_at)`.

Candidates come only from the item's band keys — for each key the `per_key` stories seen most
recently within the window, ranked by how many keys they share with the item — so the cost per
item stays flat however many items are stored. Assignment runs inside one write transaction, so
items arriving together (three outlets in one cycle, or several workers) see each other's
stories.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from monitor.store.sqlite_codec import dt, ts
from monitor.store.story_codec import candidate_from, candidate_json
from monitor.stories import StoryCandidate
from monitor.stories_index import DEFAULT_LIMIT, DEFAULT_PER_KEY

# Per band key, the newest `per_key` links inside the window: a reverse range scan of the
# (band_key, last_seen_at) index that stops after `per_key` rows, however many stories share the
# key. (A window function over the key's rows would read every one of them.)
_PER_KEY = (
    "SELECT story_id FROM (SELECT story_id FROM story_bands WHERE band_key = ? "
    "AND last_seen_at >= ? ORDER BY last_seen_at DESC LIMIT ?)"
)
# Rank on ids alone, then read the `limit` winners' state: grouping rows that carry the JSON
# state would copy every hit's document through the sorter.
_CANDIDATES = """
WITH hits(story_id) AS ({per_key}),
top AS (
    SELECT hits.story_id, COUNT(*) AS shared FROM hits JOIN stories s ON s.id = hits.story_id
    WHERE s.fingerprint IS NOT NULL
    GROUP BY hits.story_id ORDER BY shared DESC, hits.story_id DESC LIMIT ?
)
SELECT s.id, s.title, s.primary_country, s.first_seen_at, s.last_seen_at, s.fingerprint
FROM top JOIN stories s ON s.id = top.story_id
ORDER BY top.shared DESC, s.id DESC
"""

_SAVE = """
UPDATE stories SET title = ?, first_seen_at = ?, last_seen_at = ?, primary_country = ?,
    fingerprint = ?
WHERE id = ?
"""


class SqliteStoryIndex:
    """`monitor.stories.StoryIndex` over the caller's open transaction."""

    def __init__(
        self, conn: sqlite3.Connection, per_key: int = DEFAULT_PER_KEY, limit: int = DEFAULT_LIMIT
    ) -> None:
        self.conn, self.per_key, self.limit = conn, per_key, limit

    def new_story_id(self) -> int:
        """An empty story row; `add` fills it in."""
        cur = self.conn.execute(
            "INSERT INTO stories (title, first_seen_at, last_seen_at, outlet_count) "
            "VALUES ('', '', '', 0)"
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        if not band_keys:
            return []
        keys = list(dict.fromkeys(band_keys))
        sql = _CANDIDATES.format(per_key=" UNION ALL ".join([_PER_KEY] * len(keys)))
        since_ts = ts(since)
        params: list[object] = [v for key in keys for v in (key, since_ts, self.per_key)]
        params.append(self.limit)
        return [
            candidate_from(
                row["id"], row["fingerprint"], row["title"], row["primary_country"],
                dt(row["first_seen_at"]), dt(row["last_seen_at"]),
            )
            for row in self.conn.execute(sql, params)
        ]  # fmt: skip

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        last_seen = ts(candidate.last_seen)
        self.conn.execute(
            _SAVE,
            (
                candidate.title, ts(candidate.first_seen), last_seen, candidate.primary_country,
                candidate_json(candidate), candidate.story_id,
            ),
        )  # fmt: skip
        self.conn.executemany(
            "INSERT INTO story_bands (band_key, story_id, last_seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (band_key, story_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            [(key, candidate.story_id, last_seen) for key in band_keys],
        )
