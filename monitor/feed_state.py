"""What a fetch means for a feed's state: next check, error bookkeeping, validators (pure).

The pipeline fetches and parses; these functions only decide. Rules (DESIGN §5):
200/304 reset the error count and schedule adaptively; 429/503 honour Retry-After (clamped);
410 disables the feed; every other failure backs off exponentially with jitter.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor import schedule
from monitor.config import FetchSettings
from monitor.types import Feed, FetchResult

GONE_REASON = "HTTP 410 Gone: the publisher removed this feed"


@dataclass(frozen=True)
class Outcome:
    next_check_at: datetime
    error: str | None
    error_count: int
    etag: str | None
    last_modified: str | None
    disabled_reason: str | None = None


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
    next_at = schedule.next_check_after_success(
        now,
        interval_of(feed, settings),
        settings.min_interval_s,
        settings.max_interval_s,
        ttl_s=ttl_s,
        max_age_s=_freshness_s(fetched, now),
        publish_gaps_s=publish_gaps(published),
    )
    return Outcome(next_at, None, 0, etag, last_modified)


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
    if status == 410:
        later = now + timedelta(seconds=settings.max_interval_s)
        return Outcome(later, error, count, feed.etag, feed.last_modified, GONE_REASON)
    waited = schedule.parse_retry_after(retry_after, now) if status in (429, 503) else None
    if waited is not None:
        next_at = now + timedelta(
            seconds=schedule.clamp_retry_after(waited, settings.min_interval_s)
        )
    else:
        next_at = schedule.backoff_after_error(
            now, count, interval_of(feed, settings), settings.min_interval_s, rng
        )
    return Outcome(next_at, error, count, feed.etag, feed.last_modified)


def publish_gaps(published: Sequence[datetime]) -> list[float]:
    times = sorted(published)
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False) if b > a]


def _freshness_s(fetched: FetchResult, now: datetime) -> float | None:
    max_age = schedule.parse_cache_control_max_age(fetched.headers)
    if max_age is not None:
        return max_age
    return schedule.parse_expires(fetched.headers, now)
