"""The story index in memory: `StoryBuckets` (band key → recent story ids) and
`MemoryStoryIndex` (buckets plus the stories themselves: tests, bench, and each store's window).

Each band key keeps the ids of at most `per_key` stories, most recently touched last; a story
pushed out of a crowded bucket stays reachable through its other keys. A lookup touches only the
buckets of the item's keys and returns the `limit` stories sharing the most keys with it (ties:
newest first), so its cost does not grow with the number of stored stories. The stores keep the
same buckets for the window in each worker's memory (`monitor.store.story_window`) and persist
each story's keys beside its state, from which a worker rebuilds them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.stories import StoryCandidate

DEFAULT_PER_KEY = 8
DEFAULT_LIMIT = 16


class StoryBuckets:
    """Band key → the ids of its `per_key` most recently linked stories, and each story's last
    seen time (a lookup skips stories outside the window)."""

    def __init__(self, per_key: int = DEFAULT_PER_KEY, limit: int = DEFAULT_LIMIT) -> None:
        self.per_key = per_key
        self.limit = limit
        self._buckets: dict[str, list[int]] = {}
        self.last_seen: dict[int, datetime] = {}

    def __len__(self) -> int:
        return len(self.last_seen)

    def rank(self, band_keys: Iterable[str], since: datetime) -> list[int]:
        """At most `limit` ids of stories seen since `since`, most shared keys first."""
        buckets, last_seen = self._buckets, self.last_seen
        hits = Counter([story_id for key in band_keys for story_id in buckets.get(key, ())])
        found: list[int] = []
        for story_id, _ in sorted(hits.items(), key=itemgetter(1, 0), reverse=True):
            seen = last_seen.get(story_id)
            if seen is not None and seen >= since:
                found.append(story_id)
                if len(found) == self.limit:
                    break
        return found

    def link(self, story_id: int, band_keys: Iterable[str], last_seen: datetime) -> None:
        """Make the story the newest of each key's bucket."""
        self.last_seen[story_id] = last_seen
        for key in band_keys:
            bucket = self._buckets.setdefault(key, [])
            if story_id in bucket:
                bucket.remove(story_id)
            bucket.append(story_id)
            if len(bucket) > self.per_key:
                del bucket[0]

    def forget_before(self, before: datetime) -> set[int]:
        """Drop the stories last seen before `before`, and the buckets left empty; returns
        the ids dropped."""
        gone = {sid for sid, seen in self.last_seen.items() if seen < before}
        if not gone:
            return gone
        for sid in gone:
            del self.last_seen[sid]
        for key, bucket in list(self._buckets.items()):
            kept = [sid for sid in bucket if sid not in gone]
            if not kept:
                del self._buckets[key]
            elif len(kept) < len(bucket):
                self._buckets[key] = kept
        return gone


class MemoryStoryIndex:
    """`monitor.stories.StoryIndex` held entirely in memory."""

    def __init__(self, per_key: int = DEFAULT_PER_KEY, limit: int = DEFAULT_LIMIT) -> None:
        self.buckets = StoryBuckets(per_key, limit)
        self._stories: dict[int, StoryCandidate] = {}
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._stories)

    def next_id(self) -> int:
        """A fresh story id (the SQL store gets one from the stories table instead)."""
        self._next_id += 1
        return self._next_id

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        return [self._stories[sid] for sid in self.buckets.rank(band_keys, since)]

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        self._stories[candidate.story_id] = candidate
        self._next_id = max(self._next_id, candidate.story_id)
        self.buckets.link(candidate.story_id, band_keys, candidate.last_seen)

    def get(self, story_id: int) -> StoryCandidate | None:
        return self._stories.get(story_id)

    def stored(self) -> list[StoryCandidate]:
        """Every story held, in id order."""
        return [self._stories[k] for k in sorted(self._stories)]
