"""What a fetch means for a feed's state: next check, errors, validators, redirects (pure).

The pipeline fetches and parses; these functions only decide. Rules (DESIGN §5):
200/304 reset the error count and schedule adaptively; 429/503 honour Retry-After (clamped,
for the whole host); 410 disables the feed; every other failure backs off exponentially with
jitter. A permanent redirect is adopted only after it was seen on several polls over a day.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from monitor import schedule
from monitor.config import FetchSettings
from monitor.types import Feed, FetchResult, RedirectState

GONE_REASON = "HTTP 410 Gone: the publisher removed this feed"
ADOPT_AFTER_POLLS = 3
ADOPT_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Outcome:
    next_check_at: datetime
    error: str | None
    error_count: int
    etag: str | None
    last_modified: str | None
    disabled_reason: str | None = None
    redirect: RedirectState = field(default_factory=RedirectState)
    failing_since: datetime | None = None
    typical_gap_s: float | None = None
    host_backoff_until: datetime | None = None


def interval_of(feed: Feed, settings: FetchSettings) -> int:
    return feed.interval_s or settings.interval_s


def validators(feed: Feed, fetched: FetchResult) -> tuple[str | None, str | None]:
    """A 200 describes a new representation: take exactly what it sent. A 304 confirms the old
    one: refresh whichever validator it repeats and keep the other."""
    if fetched.status == 200:
        return fetched.etag, fetched.last_modified
    if fetched.status == 304:
        return fetched.etag or feed.etag, fetched.last_modified or feed.last_modified
    return feed.etag, feed.last_modified


def redirect_state(feed: Feed, fetched: FetchResult, now: datetime) -> RedirectState:
    """Count consistent sightings of one permanent target; adopt it once seen enough."""
    target = fetched.final_url if fetched.permanent_redirect else None
    if not target or target == feed.target_url:
        return RedirectState(fetch_url=feed.fetch_url)
    if target != feed.redirect_url or feed.redirect_first_seen_at is None:
        return RedirectState(feed.fetch_url, target, now, 1)
    count = feed.redirect_count + 1
    if count >= ADOPT_AFTER_POLLS and now - feed.redirect_first_seen_at >= ADOPT_AFTER:
        return RedirectState(fetch_url=target)
    return RedirectState(feed.fetch_url, target, feed.redirect_first_seen_at, count)


def after_success(
    feed: Feed,
    fetched: FetchResult,
    now: datetime,
    settings: FetchSettings,
    *,
    ttl_s: int | None = None,
    published: Sequence[datetime] = (),
) -> Outcome:
    etag, last_modified = validators(feed, fetched)
    gaps = schedule.publish_gaps(published)
    # An interval set on the feed itself is the analyst's decision: it is not adapted.
    adaptive_gaps = () if feed.interval_s else gaps
    next_at = schedule.next_check_after_success(
        now,
        interval_of(feed, settings),
        settings.min_interval_s,
        settings.max_interval_s,
        ttl_s=ttl_s,
        max_age_s=schedule.cache_lifetime_s(fetched.headers, now),
        publish_gaps_s=adaptive_gaps,
    )
    return Outcome(
        next_at,
        None,
        0,
        etag,
        last_modified,
        redirect=redirect_state(feed, fetched, now),
        typical_gap_s=schedule.median_gap_s(gaps) or feed.typical_gap_s,
    )


def after_failure(
    feed: Feed,
    error: str,
    now: datetime,
    settings: FetchSettings,
    rng: random.Random,
    *,
    status: int | None = None,
    retry_after: str | None = None,
) -> Outcome:
    count = feed.error_count + 1
    backoff = schedule.backoff_after_error(
        now, count, interval_of(feed, settings), settings.min_interval_s, rng
    )
    outcome = Outcome(
        backoff,
        error,
        count,
        feed.etag,
        feed.last_modified,
        redirect=RedirectState(
            feed.fetch_url, feed.redirect_url, feed.redirect_first_seen_at, feed.redirect_count
        ),
        failing_since=feed.failing_since or now,
        typical_gap_s=feed.typical_gap_s,
    )
    if status == 410:
        later = now + timedelta(seconds=settings.max_interval_s)
        return replace(outcome, next_check_at=later, disabled_reason=GONE_REASON)
    waited = schedule.parse_retry_after(retry_after, now) if status in (429, 503) else None
    if waited is None:
        return outcome
    until = now + timedelta(seconds=schedule.clamp_retry_after(waited, settings.min_interval_s))
    return replace(outcome, next_check_at=until, host_backoff_until=until)
