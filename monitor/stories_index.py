"""`MemoryStoryIndex`: the in-memory `StoryIndex` (tests, bench, and the shape the SQL one copies).

Each band key keeps the ids of at most `per_key` stories, most recently touched last; a story
pushed out of a crowded bucket stays reachable through its other keys. A lookup touches only the
buckets of the item's keys and returns the `limit` stories sharing the most keys with it (ties:
newest first), so its cost does not grow with the number of stored stories. The SQL version:

    SELECT story_id, COUNT(*) AS shared FROM story_bands
    WHERE band_key IN (...) AND last_seen >= :since  -- per key: newest `per_key` rows only
    GROUP BY story_id ORDER BY shared DESC, story_id DESC LIMIT :limit
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.stories import StoryCandidate

DEFAULT_PER_KEY = 8
DEFAULT_LIMIT = 16


class MemoryStoryIndex:
    def __init__(self, per_key: int = DEFAULT_PER_KEY, limit: int = DEFAULT_LIMIT) -> None:
        self.per_key = per_key
        self.limit = limit
        self._buckets: dict[str, list[int]] = {}
        self._stories: dict[int, StoryCandidate] = {}
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._stories)

    def next_id(self) -> int:
        """A fresh story id (the SQL store gets one from the stories table instead)."""
        self._next_id += 1
        return self._next_id

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        buckets = self._buckets
        hits = Counter([story_id for key in band_keys for story_id in buckets.get(key, ())])
        ranked = sorted(hits.items(), key=itemgetter(1, 0), reverse=True)
        found: list[StoryCandidate] = []
        for story_id, _ in ranked:
            story = self._stories[story_id]
            if story.last_seen >= since:
                found.append(story)
                if len(found) == self.limit:
                    break
        return found

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        self._stories[candidate.story_id] = candidate
        self._next_id = max(self._next_id, candidate.story_id)
        for key in band_keys:
            bucket = self._buckets.setdefault(key, [])
            if candidate.story_id in bucket:
                bucket.remove(candidate.story_id)
            bucket.append(candidate.story_id)
            if len(bucket) > self.per_key:
                del bucket[0]

    def get(self, story_id: int) -> StoryCandidate | None:
        return self._stories.get(story_id)

    def stored(self) -> list[StoryCandidate]:
        """Every story held, in id order."""
        return [self._stories[k] for k in sorted(self._stories)]
