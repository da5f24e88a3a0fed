"""Values read back from the store for review: the CLI, the web UI, digests and workers.

Frozen dataclasses like `monitor.types`, which holds the values of the poll path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from monitor.types import Item, Severity, TermHit


@dataclass(frozen=True)
class StoredMatch:
    """A match as read back for review (CLI, web, digests)."""

    id: int
    item_id: int
    rule: str
    severity: Severity
    title: str
    link: str | None
    source: str
    published_at: datetime | None
    matched_at: datetime
    regions: tuple[str, ...]
    primary_region: str | None
    story_id: int | None
    story_outlets: int
    terms: tuple[str, ...]
    status: str
    note: str = ""


@dataclass(frozen=True)
class StoredStory:
    """A story (items about one event) as read back for review; `outlets` are feed names."""

    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    primary_region: str | None
    outlets: tuple[str, ...]
    outlet_count: int
    updated: bool
    item_ids: tuple[int, ...]


@dataclass(frozen=True)
class OutboxRow:
    """An outbox row as the sender claims it or `monitor outbox` lists it.

    `status`: pending (due at `next_attempt_at`) · sent · failed (permanently; `last_error`).
    """

    id: int
    kind: str
    recipient: str
    dedupe_key: str
    payload: Mapping[str, object]
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None
    message_id: str | None = None
    lease_token: str | None = None


@dataclass(frozen=True)
class SentAlert:
    """One alert row already sent: what cooldowns and the flood guard look back on."""

    rule: str
    recipient: str
    sent_at: datetime
    message_id: str


@dataclass(frozen=True)
class DigestRun:
    """The digest of one recipient for one local day (at most one, keyed in `digest_runs`)."""

    recipient: str
    digest_date: date
    period_start: datetime
    period_end: datetime
    outbox_id: int | None = None


@dataclass(frozen=True)
class DigestMatch:
    """A match of a digest's period, and whether an alert email was queued for it."""

    match: StoredMatch
    alerted: bool


# Review in the web UI ----------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox and `/api/matches` narrow matches by; None means "any".

    `region`: the primary country or any listed region; `countries`: any of them, likewise (a
    named region's countries); `text`: a case-insensitive substring of the title or summary;
    `since`/`until`: matched at, half-open.
    """

    rule: str | None = None
    region: str | None = None
    severity: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class InboxRow:
    """One story (or a story-less item) of the inbox: its matches, newest first."""

    story_id: int | None
    matches: tuple[StoredMatch, ...]
    outlets: int

    @property
    def lead(self) -> StoredMatch:
        return self.matches[0]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.rule for m in self.matches))

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.status for m in self.matches))


@dataclass(frozen=True)
class InboxPage:
    """A page of inbox rows, how many rows match in all, and matches per status (the status
    filter itself left out, so the counts show what each status tab holds)."""

    rows: tuple[InboxRow, ...]
    total: int
    counts: Mapping[str, int]


@dataclass(frozen=True)
class MatchPage:
    matches: tuple[StoredMatch, ...]
    total: int


@dataclass(frozen=True)
class MatchDetail:
    """A stored match with the spans of its terms, for highlighting."""

    match: StoredMatch
    hits: tuple[TermHit, ...]


@dataclass(frozen=True)
class StoredItem:
    """A stored item (one outlet's copy) with its id and the matches it has."""

    id: int
    item: Item
    matches: tuple[MatchDetail, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    """Who changed what, when: one row of the `audit` table."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    detail: Mapping[str, object]


@dataclass(frozen=True)
class StoryDetail:
    """A story with every outlet's copy (oldest first) and the triage history of its matches.
    `story` is None for an item that belongs to no story (then `copies` holds just that item)."""

    story: StoredStory | None
    copies: tuple[StoredItem, ...]
    audit: tuple[AuditEntry, ...]


@dataclass(frozen=True)
class StoreStats:
    """Totals read at scrape time for /metrics."""

    cycles: int
    feeds_polled: int
    poll_errors: int
    items: int
    matches: int
    alerts_sent: int
    alerts_failed: int
    outbox_pending: int
    last_cycle_s: float | None
    feeds_failing: int


@dataclass(frozen=True)
class WorkerInfo:
    """A worker sharing the database, as its heartbeats left it (`monitor workers`)."""

    name: str
    host: str
    pid: int | None
    started_at: datetime
    last_heartbeat_at: datetime
    stopped_at: datetime | None = None
    feeds_polled: int = 0
