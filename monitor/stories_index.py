"""`MemoryStoryIndex`: the in-memory `StoryIndex` (tests, bench, and the shape the SQL one copies).

Each band key keeps the ids of at most `per_key` stories, most recently touched last; a story
pushed out of a crowded bucket stays reachable through its other keys. Lookups touch only the
buckets of the item's keys, so their cost does not grow with the number of stored stories.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.stories import StoryCandidate

DEFAULT_PER_KEY = 8


class MemoryStoryIndex:
    def __init__(self, per_key: int = DEFAULT_PER_KEY) -> None:
        self.per_key = per_key
        self._buckets: dict[str, deque[int]] = {}
        self._stories: dict[int, StoryCandidate] = {}
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._stories)

    def next_id(self) -> int:
        """A fresh story id (the SQL store gets one from the stories table instead)."""
        self._next_id += 1
        return self._next_id

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        seen: set[int] = set()
        found: list[StoryCandidate] = []
        for key in band_keys:
            for story_id in self._buckets.get(key, ()):
                if story_id in seen:
                    continue
                seen.add(story_id)
                story = self._stories[story_id]
                if story.last_seen >= since:
                    found.append(story)
        return found

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        self._stories[candidate.story_id] = candidate
        self._next_id = max(self._next_id, candidate.story_id)
        for key in band_keys:
            bucket = self._buckets.setdefault(key, deque(maxlen=self.per_key))
            if candidate.story_id in bucket:
                bucket.remove(candidate.story_id)
            bucket.append(candidate.story_id)

    def get(self, story_id: int) -> StoryCandidate | None:
        return self._stories.get(story_id)
