"""The `Store` Protocol: everything the worker, CLI and web ask of the database, in domain terms.

Claiming is lease-based on every backend: `claim_due_feeds` marks rows with (owner, until, token)
in one short transaction; the network I/O happens outside any transaction; `complete_feed` writes
everything a poll decided in ONE transaction fenced by the token (returns False, writing nothing,
when the lease was lost). Every visible effect is keyed by a unique constraint, so a repeated
completion changes nothing users see.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from monitor.config import FeedConfig
from monitor.types import CycleStats, Feed, FeedResult, Item, StoredMatch, StoredStory


class Store(Protocol):
    def migrate(self) -> None:
        """Create or update the schema (idempotent)."""

    def close(self) -> None: ...

    # feeds -------------------------------------------------------------
    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> None:
        """Make the config's feeds present and enabled; disable config feeds no longer listed
        (reason "removed from config"); feeds added by hand (`feeds add`) are left alone."""

    def add_feed(self, url: str, name: str, now: datetime, tier: str = "other") -> int:
        """Add a feed by hand (or return the id of the existing one)."""

    def list_feeds(self) -> list[Feed]: ...

    def claim_due_feeds(
        self,
        now: datetime,
        owner: str,
        lease_s: int,
        limit: int,
        *,
        ignore_schedule: bool = False,
        urls: Sequence[str] = (),
    ) -> list[Feed]:
        """Lease up to `limit` enabled feeds whose next_check_at <= now and whose lease is free or
        expired. `ignore_schedule`: every enabled feed. `urls`: only these (disabled ones too)."""

    def seen_keys(self, feed_id: int, keys: Sequence[str]) -> set[str]:
        """The subset of `keys` already stored for this feed."""

    def complete_feed(self, result: FeedResult, owner: str) -> bool:
        """Write the poll result in one transaction if we still hold the lease; else False."""

    # cycles -----------------------------------------------------------
    def record_cycle(self, stats: CycleStats) -> None: ...

    def last_cycle(self) -> CycleStats | None: ...

    # review -----------------------------------------------------------
    def list_matches(
        self,
        *,
        since: datetime | None = None,
        rule: str | None = None,
        region: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[StoredMatch]:
        """Newest first. `region` matches the primary region or any listed region."""

    def iter_items(self, since: datetime | None = None) -> Iterator[Item]:
        """Stored items (for backtests), newest first; `since` by published, else fetched time."""

    def count_items(self, since: datetime | None = None) -> int: ...

    def list_stories(
        self, since: datetime | None = None, region: str | None = None
    ) -> list[StoredStory]:
        """Newest (last seen) first. `since` by last seen time; `region` is the primary country."""
