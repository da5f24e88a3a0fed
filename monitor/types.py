"""Values passed between the stages: frozen dataclasses, no behaviour beyond small helpers.

Stages take and return these; the store receives intents (`FeedResult`), never live objects.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
    """A place found in text; start/end are character offsets into `field` ("title" or "text").
    `kind`: what the name was read as — "country", "demonym", "place" (curated), "admin1",
    "city" or "abbreviation" ("" when not known, e.g. read back from storage)."""

    name: str
    country: str
    start: int
    end: int
    field: str = "text"
    kind: str = ""


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
