"""The `Store` Protocol: everything the worker, CLI and web ask of the database, in domain terms.

Claiming is lease-based on every backend: `claim_due_feeds` marks rows with (owner, until, token)
in one short transaction; the network I/O happens outside any transaction; `complete_feed` writes
everything a poll decided in ONE transaction fenced by the token (returns False, writing nothing,
when the lease was lost). Every visible effect is keyed by a unique constraint, so a repeated
completion changes nothing users see.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import NamedTuple, Protocol

from monitor.config import FeedConfig
from monitor.records import (
    AuditEntry,
    DigestMatch,
    DigestRun,
    InboxFilter,
    InboxPage,
    MatchDetail,
    MatchPage,
    OutboxRow,
    SentAlert,
    StoredMatch,
    StoredStory,
    StoreStats,
    StoryDetail,
    WorkerInfo,
)
from monitor.stories import STORY_WINDOW_S, Assignment, Fingerprint
from monitor.types import CycleStats, Feed, FeedResult, Item, OutboxMessage


class Arrival(NamedTuple):
    """An item to place in a story: its fingerprint, its time, its primary country."""

    fp: Fingerprint
    at: datetime
    primary_country: str | None


class Store(Protocol):
    def migrate(self) -> None:
        """Create or update the schema (idempotent)."""

    def schema_is_current(self) -> bool:
        """True when no migration is pending (workers refuse to start otherwise)."""

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

    # workers ----------------------------------------------------------
    def heartbeat(
        self, name: str, host: str, pid: int, now: datetime, feeds_polled: int,
        *, stopped: bool = False,
    ) -> None:
        """Record that worker `name` is alive at `now` (or, with `stopped`, that it stopped)
        and how many feeds it has polled since it started."""

    def list_workers(self, since: datetime | None = None) -> list[WorkerInfo]:
        """Workers by name; `since`: only those whose last heartbeat is at or after it."""

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

    def assign_story(
        self,
        fp: Fingerprint,
        item_time: datetime,
        primary_country: str | None,
        window_s: float = STORY_WINDOW_S,
    ) -> Assignment:
        """Join the item to a story or start one: `assign_stories` for one item."""

    def assign_stories(
        self, arrivals: Sequence[Arrival], window_s: float = STORY_WINDOW_S
    ) -> list[Assignment]:
        """Join each item to a story or start one, in order (`monitor.stories.process` over
        the persisted index), in one short transaction serialised with every other
        assignment, so items arriving together — several outlets in one cycle, several
        workers — see each other. One poll's new items go in one call."""

    # outbox -----------------------------------------------------------
    def claim_outbox(
        self, now: datetime, owner: str, lease_s: float, limit: int, kinds: Sequence[str] = ()
    ) -> list[OutboxRow]:
        """Lease up to `limit` pending rows due at `now` (all claimed rows share one token).
        Alert rows come back with the stored `match_id`, `item_id`, `story_id` and the story's
        current `outlets` count added to their payload."""

    def complete_outbox(
        self, row_ids: Sequence[int], token: str, sent_at: datetime, message_id: str
    ) -> bool:
        """Mark rows sent by one message; False when any of them was no longer ours."""

    def fail_outbox(
        self,
        row_ids: Sequence[int],
        token: str,
        error: str,
        next_attempt_at: datetime,
        permanent: bool,
    ) -> bool:
        """Record a failed attempt: due again at `next_attempt_at`, or status 'failed'."""

    def release_outbox(self, row_ids: Sequence[int], token: str, next_attempt_at: datetime) -> bool:
        """Hand rows back unattempted (cooldown, flood guard, lease running out)."""

    def requeue_outbox(self, row_ids: Sequence[int], now: datetime) -> int:
        """Send failed rows again (after fixing the mail setup); returns how many were failed."""

    def sent_alerts(self, since: datetime) -> list[SentAlert]:
        """Alert rows sent at or after `since`, oldest first."""

    def list_outbox(self, status: str | None = None, limit: int | None = None) -> list[OutboxRow]:
        """Newest first."""

    # digests ----------------------------------------------------------
    def digest_run(self, recipient: str, day: date) -> DigestRun | None: ...

    def last_digest_run(self, recipient: str) -> DigestRun | None: ...

    def record_digest(
        self, run: DigestRun, message: OutboxMessage, now: datetime, force: bool = False
    ) -> int | None:
        """Record the run and queue its message in ONE transaction; None (writing nothing) when
        that recipient's digest for that day exists already, unless `force`."""

    def digest_matches(self, since: datetime, until: datetime) -> list[DigestMatch]:
        """Matches with since <= matched_at < until, flagged when an alert was queued."""

    # web review -------------------------------------------------------
    def inbox(self, f: InboxFilter, limit: int = 50, offset: int = 0) -> InboxPage:
        """Matches grouped by story (a story-less item is its own row), newest row first."""

    def search_matches(self, f: InboxFilter, limit: int = 50, offset: int = 0) -> MatchPage:
        """Matches one by one, newest first, with the total for pagination."""

    def match_detail(self, match_id: int) -> MatchDetail | None: ...

    def story_detail(self, story_id: int) -> StoryDetail | None:
        """The story, every outlet's copy with its matches, and their triage history."""

    def item_detail(self, item_id: int) -> StoryDetail | None:
        """The same for an item outside any story."""

    def set_match_status(
        self,
        ids: Sequence[int],
        status: str | None,
        note: str | None,
        actor: str,
        now: datetime,
    ) -> int:
        """Set status and/or note; in the same transaction one `audit` row per match changed.
        Returns how many changed (unknown ids and no-op changes are skipped)."""

    def audit_for(self, entity: str, entity_ids: Sequence[str]) -> list[AuditEntry]:
        """Oldest first."""

    def recent_audit(self, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""

    def request_poll(self, feed_id: int, actor: str, now: datetime) -> bool:
        """Make a feed due now (audited); the worker polls it on its next tick."""

    def rule_hit_counts(self, now: datetime) -> dict[str, tuple[int, int, int]]:
        """Rule name → matches in the last 1, 7 and 30 days."""

    def country_counts(self, since: datetime) -> dict[str, int]:
        """Primary country → matches since `since`."""

    def daily_counts(self, since: datetime, by: str) -> dict[str, dict[str, int]]:
        """`by` "rule" or "country" → {UTC day "YYYY-MM-DD" → matches}."""

    def stats(self) -> StoreStats:
        """Totals for /metrics."""
