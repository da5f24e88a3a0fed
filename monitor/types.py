"""Values passed between the stages: frozen dataclasses, no behaviour beyond small helpers.

Stages take and return these; the store receives intents (`FeedResult`), never live objects.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Severity = Literal["urgent", "normal"]
Where = Literal["happened", "mentioned"]
MatchStatus = Literal["new", "acknowledged", "false_positive", "starred"]
MATCH_STATUSES: tuple[str, ...] = ("new", "acknowledged", "false_positive", "starred")
TEXT_FIELDS: tuple[str, ...] = ("title", "summary", "source", "author", "link")


@dataclass(frozen=True)
class Feed:
    """A feed row as the worker sees it when it claims the feed."""

    id: int
    url: str
    name: str
    tier: str = "other"
    interval_s: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched_at: datetime | None = None
    last_unconditional_at: datetime | None = None
    next_check_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    error_count: int = 0
    disabled_reason: str | None = None
    items_seen: int = 0
    lease_token: str | None = None
    host: str = ""
    fetch_url: str | None = None
    redirect_url: str | None = None
    redirect_first_seen_at: datetime | None = None
    redirect_count: int = 0
    failing_since: datetime | None = None
    last_new_item_at: datetime | None = None
    typical_gap_s: float | None = None
    health: str | None = None

    @property
    def target_url(self) -> str:
        """Where to fetch: the adopted permanent-redirect target, else the configured URL."""
        return self.fetch_url or self.url


@dataclass(frozen=True)
class FetchResult:
    """What one HTTP fetch produced. `body` is None on 304 and on errors."""

    url: str
    status: int | None
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    permanent_redirect: bool = False
    error: str | None = None
    retry_after_s: float | None = None
    elapsed_s: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Entry:
    """One entry of a parsed feed, normalised and sanitised; `key` identifies it within its feed."""

    key: str
    title: str
    link: str | None
    summary: str
    summary_html: str = ""
    author: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: tuple[Entry, ...]
    ttl_s: int | None = None


@dataclass(frozen=True)
class Place:
    """A place found in text; start/end are character offsets into `field` ("title" or "text")."""

    name: str
    country: str
    start: int
    end: int
    field: str = "text"


@dataclass(frozen=True)
class GeoTags:
    countries: tuple[str, ...] = ()
    primary: str | None = None
    places: tuple[Place, ...] = ()


@dataclass(frozen=True)
class Item:
    """An entry in context: its feed (source), its places. What rules are matched against."""

    key: str
    feed_id: int
    source: str
    title: str
    summary: str
    link: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime | None = None
    summary_html: str = ""
    geo: GeoTags = field(default_factory=GeoTags)

    def field_text(self, name: str) -> str:
        value = getattr(self, name)
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class TermHit:
    """One occurrence of a rule term: the term as written in the query and its span in a field."""

    term: str
    field: str
    start: int
    end: int


@dataclass(frozen=True)
class Match:
    """A rule that matched an item, with what made it true."""

    rule: str
    severity: Severity
    terms: tuple[str, ...]
    hits: tuple[TermHit, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewItem:
    """An item to store with the rules it matched and the story it was assigned to."""

    item: Item
    matches: tuple[Match, ...] = ()
    story_id: int | None = None
    story_updated: bool = False


@dataclass(frozen=True)
class OutboxMessage:
    """A message to send later, written in the same transaction as what caused it."""

    kind: str  # alert | digest | feed_health
    recipient: str
    dedupe_key: str
    payload: Mapping[str, object]


@dataclass(frozen=True)
class RedirectState:
    """Permanent redirects are adopted only after being seen consistently (DESIGN §5.4)."""

    fetch_url: str | None = None
    candidate: str | None = None
    first_seen_at: datetime | None = None
    count: int = 0


@dataclass(frozen=True)
class FeedResult:
    """Everything a poll decided about one feed, written in one transaction fenced by the lease."""

    feed_id: int
    lease_token: str
    checked_at: datetime
    next_check_at: datetime
    status: int | None
    error: str | None
    error_count: int
    etag: str | None
    last_modified: str | None
    unconditional: bool = False
    items: tuple[NewItem, ...] = ()
    disabled_reason: str | None = None
    redirect: RedirectState = field(default_factory=RedirectState)
    failing_since: datetime | None = None
    typical_gap_s: float | None = None
    health: str | None = None
    host_backoff_until: datetime | None = None
    outbox: tuple[OutboxMessage, ...] = ()


@dataclass(frozen=True)
class CycleStats:
    started_at: datetime
    finished_at: datetime
    feeds: int = 0
    new_items: int = 0
    matches: int = 0
    errors: int = 0
    lost_leases: int = 0


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
