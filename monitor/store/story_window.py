"""The stores' story index: the window's buckets live in each worker's memory, the store keeps
what rebuilds them.

    stories.fingerprint   the story's matching state (`story_codec`)
    stories.band_keys     its band keys, space-separated, newest last (at most `MAX_KEYS`)
    stories.rev           the revision at which those two were last written (one counter)

An assignment runs under the store's story lock (SQLite's write lock, PostgreSQL's advisory
lock), so revisions are written one after another. Each assignment first reads the stories
whose `rev` is above the last one this worker saw — other workers' assignments; usually none,
one probe of the `rev` index — and links their keys; then it ranks candidates in memory
(`StoryBuckets`: each key's newest `per_key` stories, the `limit` sharing the most keys) and
reads only the winners it does not hold decoded, by id; the one story each item changed is
written, with the transaction's others, at its end. The cost per item is bounded however many
stories are stored: no lookup reads more than `limit` rows, and a worker's first assignment
loads only the stories seen within the window (by the `last_seen_at` index). Writing an item's
~23 keys as rows of a link table, the previous design, cost more than everything else together
(bench/stories.md).

A rolled-back assignment leaves the buckets ahead of the store, so the window is dropped and
reloaded on the next one.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import NamedTuple

from monitor.store.base import Arrival
from monitor.stories import STORY_WINDOW_S, Assignment, Fingerprint, StoryCandidate, process
from monitor.stories_index import DEFAULT_LIMIT, DEFAULT_PER_KEY, StoryBuckets

MAX_KEYS = 96  # a long-running story keeps the keys of its latest items
DECODED = 65_536  # stories kept decoded (~5 KB each); beyond that, rows are read and decoded again


class Decoded(NamedTuple):
    """A story read from the store, as of revision `rev`."""

    rev: int
    candidate: StoryCandidate
    band_keys: str


class StoryWindow:
    """One worker's buckets for the window, the last revision seen, and the most recently used
    stories decoded (always their latest state: every newer revision arrives through `keep`)."""

    def __init__(self, per_key: int = DEFAULT_PER_KEY, limit: int = DEFAULT_LIMIT) -> None:
        self.per_key, self.limit = per_key, limit
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.buckets = StoryBuckets(self.per_key, self.limit)
        self.decoded: OrderedDict[int, Decoded] = OrderedDict()
        self.rev: int | None = None  # None: not loaded yet
        self._pruned_size = 0

    @contextmanager
    def held(self) -> Iterator[StoryWindow]:
        """Use the window for one assignment; a failure drops it (the store rolled back)."""
        with self._lock:
            try:
                yield self
            except BaseException:
                self._clear()
                raise

    def absorb(self, rows: Iterable[Decoded]) -> None:
        """Stories written by others (or loaded): link their keys, keep them decoded."""
        for row in rows:
            story = row.candidate
            self.buckets.link(story.story_id, row.band_keys.split(), story.last_seen)
            self.keep(row)
            self.rev = max(self.rev or 0, row.rev)

    def get(self, story_id: int) -> Decoded | None:
        """The decoded story, if it is held."""
        got = self.decoded.get(story_id)
        if got is not None:
            self.decoded.move_to_end(story_id)
        return got

    def keep(self, decoded: Decoded) -> None:
        story_id = decoded.candidate.story_id
        self.decoded[story_id] = decoded
        self.decoded.move_to_end(story_id)
        if len(self.decoded) > DECODED:
            self.decoded.popitem(last=False)

    def prune(self, since: datetime) -> None:
        """Forget stories last seen before `since` once the held ones have doubled."""
        if len(self.buckets) > max(2 * self._pruned_size, 1000):
            for story_id in self.buckets.forget_before(since):
                self.decoded.pop(story_id, None)
            self._pruned_size = len(self.buckets)


def merged_keys(stored: str, new: Sequence[str]) -> str:
    """The story's keys after an item joined: the item's last, at most `MAX_KEYS`."""
    fresh = set(new)
    keys = [k for k in stored.split() if k not in fresh] + list(dict.fromkeys(new))
    return " ".join(keys[-MAX_KEYS:])


class WindowedStoryIndex(ABC):
    """`monitor.stories.StoryIndex` for one assignment, inside the store's open transaction."""

    def __init__(self, window: StoryWindow) -> None:
        self.window = window
        self._reserved: set[int] = set()  # ids of stories started here, whose rows are not written
        self._pending: list[tuple[bool, Decoded]] = []  # (new?, state) rows not yet written
        self.remaining = 1  # items still to assign in this transaction, counting the current one

    def new_story_id(self) -> int:
        """An id for a new story; `add` writes its row."""
        story_id = self._next_id()
        self._reserved.add(story_id)
        return story_id

    def assign(self, arrivals: Sequence[Arrival], window_s: float) -> list[Assignment]:
        """`monitor.stories.process` for each item in turn, over the buckets brought up to
        date; the changed rows are written together at the end."""
        self.remaining = len(arrivals)
        self.sync(min(a.at for a in arrivals) - timedelta(seconds=window_s))
        done = []
        for n, a in enumerate(arrivals):
            self.remaining = len(arrivals) - n
            done.append(
                process(self, a.fp, a.at, a.primary_country, self.new_story_id, window_s=window_s)
            )
        self.flush()
        return done

    def flush(self) -> None:
        """Write the stories changed since the last flush."""
        if self._pending:
            self._write(
                [state for new, state in self._pending if new],
                [state for new, state in self._pending if not new],
            )
            self._pending.clear()

    def sync(self, since: datetime) -> None:
        """Bring the buckets up to date: the window's stories once, then what changed."""
        window = self.window
        if window.rev is None:
            window.absorb(self._load(since))
            window.rev = max(window.rev or 0, self._max_rev())
        else:
            window.absorb(self._changed(window.rev))
        window.prune(since)

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        window = self.window
        ranked = window.buckets.rank(band_keys, since)
        held = {sid: got for sid in ranked if (got := window.get(sid)) is not None}
        missing = [sid for sid in ranked if sid not in held]
        if missing:
            self.flush()
            for got in self._read(missing):
                window.keep(got)
                held[got.candidate.story_id] = got
        return [held[sid].candidate for sid in ranked if sid in held]

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        window = self.window
        rev = (window.rev or 0) + 1
        before = window.decoded.get(candidate.story_id)
        keys = merged_keys(before.band_keys if before else "", band_keys)
        state = Decoded(rev, candidate, keys)
        self._pending.append((candidate.story_id in self._reserved, state))
        self._reserved.discard(candidate.story_id)
        window.rev = rev
        window.keep(state)
        window.buckets.link(candidate.story_id, band_keys, candidate.last_seen)

    @abstractmethod
    def _next_id(self) -> int:
        """An id no story row has or will be given by anyone else (the story lock is held);
        `remaining` items at most may still ask for one in this transaction."""

    @abstractmethod
    def _load(self, since: datetime) -> Iterable[Decoded]:
        """Every story with matching state last seen at or after `since`, oldest first."""

    @abstractmethod
    def _max_rev(self) -> int:
        """The highest revision stored (0 when none)."""

    @abstractmethod
    def _changed(self, rev: int) -> Iterable[Decoded]:
        """The stories written after revision `rev`, in revision order."""

    @abstractmethod
    def _read(self, story_ids: Sequence[int]) -> Iterable[Decoded]:
        """The stories with these ids that have matching state, decoded."""

    @abstractmethod
    def _write(self, new: Sequence[Decoded], changed: Sequence[Decoded]) -> None:
        """Insert the new stories' rows (no outlets yet: `complete_feed` counts them), then
        write the changed ones' state, keys and revision, in order."""


class StoryAssignment(ABC):
    """`Store.assign_story` and `Store.assign_stories` for a backend that opens a
    `WindowedStoryIndex` inside its story-locked transaction."""

    def __init__(self) -> None:
        self._story_window = StoryWindow()

    def assign_story(
        self,
        fp: Fingerprint,
        item_time: datetime,
        primary_country: str | None,
        window_s: float = STORY_WINDOW_S,
    ) -> Assignment:
        return self.assign_stories([Arrival(fp, item_time, primary_country)], window_s)[0]

    def assign_stories(
        self, arrivals: Sequence[Arrival], window_s: float = STORY_WINDOW_S
    ) -> list[Assignment]:
        if not arrivals:
            return []
        with self._story_window.held() as window, self._story_index(window) as index:
            return index.assign(arrivals, window_s)

    @abstractmethod
    def _story_index(self, window: StoryWindow) -> AbstractContextManager[WindowedStoryIndex]:
        """The index over a new transaction holding the story lock (committed on exit)."""
