"""Pure time math: when to poll a feed next, how to back off, when a digest is due.

Nothing here reads the clock: every function takes `now` (timezone-aware UTC) and returns data.
Jitter comes from a `random.Random` the caller owns, so tests can seed it.
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

DAY_S = 86400.0
MAX_BACKOFF_S = DAY_S
MAX_RETRY_AFTER_S = 7 * DAY_S
UNCONDITIONAL_EVERY_S = DAY_S
SILENT_MIN_S = 2 * DAY_S
SILENT_GAP_FACTOR = 4.0
# Items published within the same second are one batch, not a burst of zero-length gaps.
_MIN_GAP_S = 1.0
# Downward jitter only: a capped delay never exceeds its cap, and feeds failing together spread.
_JITTER_FRACTION = 0.25
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_MAX_AGE = re.compile(r'^max-age\s*=\s*"?(\d+)"?$', re.IGNORECASE)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, high))


def _after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def publish_gaps(published: Iterable[datetime]) -> tuple[float, ...]:
    """Seconds between consecutive publication times (sorted first; same-batch gaps dropped)."""
    times = sorted(published)
    gaps = ((later - earlier).total_seconds() for earlier, later in pairwise(times))
    return tuple(gap for gap in gaps if gap >= _MIN_GAP_S)


def median_gap_s(gaps_s: Sequence[float]) -> float | None:
    """The median gap: robust to one overnight lull or one burst of breaking news."""
    usable = [gap for gap in gaps_s if gap > 0]
    return float(statistics.median(usable)) if usable else None


def next_check_after_success(
    now: datetime,
    interval_s: float,
    min_interval_s: float,
    max_interval_s: float,
    *,
    ttl_s: float | None = None,
    max_age_s: float | None = None,
    publish_gaps_s: Sequence[float] = (),
) -> datetime:
    """When to poll a feed that just answered: adaptive to how often it really publishes.

    We look twice per typical gap between items, so a new item waits at most about half a gap.
    Without publication history the configured interval is used. A publisher's hint (RSS `ttl`,
    `Cache-Control: max-age`, `Expires`) only ever lengthens the interval: it asks us to come
    back later, never sooner. The result stays within [min_interval, max_interval].
    """
    median = median_gap_s(publish_gaps_s)
    delay = median / 2 if median else interval_s
    hints = [hint for hint in (ttl_s, max_age_s) if hint is not None]
    if hints:
        delay = max(delay, *hints)
    return _after(now, _clamp(delay, min_interval_s, max(min_interval_s, max_interval_s)))


def backoff_after_error(
    now: datetime,
    error_count: int,
    interval_s: float,
    min_interval_s: float,
    rng: random.Random,
) -> datetime:
    """Exponential backoff with jitter after the `error_count`-th consecutive failure (1 = first).

    The delay doubles from the feed's interval per failure, is capped at 24 h, is jittered
    downwards by up to a quarter, and never drops below min_interval.
    """
    exponent = min(max(error_count, 1) - 1, 32)
    base = min(max(interval_s, min_interval_s) * 2.0**exponent, MAX_BACKOFF_S)
    delay = base * (1.0 - _JITTER_FRACTION * rng.random())
    return _after(now, max(delay, min_interval_s))


def _as_utc(moment: datetime) -> datetime:
    # HTTP dates are GMT by definition; "-0000" parses as naive.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _http_date(value: str) -> datetime | None:
    try:
        return _as_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` → seconds from now: delta-seconds or an HTTP-date; None when unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    moment = _http_date(text) if text else None
    if moment is None:
        return None
    return max((moment - now).total_seconds(), 0.0)


def clamp_retry_after(seconds: float, min_interval_s: float) -> float:
    """Obey a server's wait, but never poll faster than min_interval nor wait over 7 days."""
    return _clamp(seconds, min_interval_s, max(min_interval_s, MAX_RETRY_AFTER_S))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_cache_control_max_age(headers: Mapping[str, str]) -> float | None:
    """`Cache-Control: max-age=N` → N seconds; None when absent, invalid, or no-store/no-cache."""
    value = _header(headers, "cache-control")
    if not value:
        return None
    directives = [part.strip() for part in value.split(",")]
    if any(d.lower() in ("no-store", "no-cache") for d in directives):
        return None
    for directive in directives:
        m = _MAX_AGE.match(directive)
        if m:
            return float(m.group(1))
    return None


def parse_expires(headers: Mapping[str, str], now: datetime) -> float | None:
    """`Expires` → seconds of freshness left; measured from the server's `Date` when it sent one,
    so a skewed server clock does not distort the result. None when absent or junk."""
    expires_text = _header(headers, "expires")
    expires = _http_date(expires_text.strip()) if expires_text else None
    if expires is None:
        return None
    date_text = _header(headers, "date")
    origin = (_http_date(date_text.strip()) if date_text else None) or now
    return max((expires - origin).total_seconds(), 0.0)


def cache_lifetime_s(headers: Mapping[str, str], now: datetime) -> float | None:
    """The server's freshness hint: max-age wins over Expires, as HTTP caching says."""
    max_age = parse_cache_control_max_age(headers)
    return max_age if max_age is not None else parse_expires(headers, now)


def needs_unconditional(now: datetime, last_unconditional_at: datetime | None) -> bool:
    """True when a fetch should skip validators: at least one full fetch a day repairs a server
    whose ETag/Last-Modified got stuck while its content moved on."""
    if last_unconditional_at is None:
        return True
    return (now - last_unconditional_at).total_seconds() >= UNCONDITIONAL_EVERY_S


def parse_hhmm(text: str) -> time:
    """"18:00" → time(18, 0). Raises ValueError for anything but a valid 24-hour HH:MM."""
    m = _HHMM.match(text.strip())
    hour, minute = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"not a time of day: {text!r} (use 24-hour HH:MM, e.g. \"18:00\")")
    return time(hour, minute)


def digest_due_at(day: date, time_hhmm: str, tz: str) -> datetime:
    """The UTC instant the digest of local `day` is due.

    zoneinfo's fold=0 gives exactly the DST behaviour we want: a local time that does not exist
    (the spring-forward gap) maps to the instant the clocks show the same minutes past the gap,
    i.e. it moves forward; an ambiguous one (fall back) takes its first occurrence.
    """
    local = datetime.combine(day, parse_hhmm(time_hhmm), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def local_day(now: datetime, tz: str) -> date:
    """The calendar day it is in `tz` at the instant `now`."""
    return now.astimezone(ZoneInfo(tz)).date()


def is_digest_due(now: datetime, time_hhmm: str, tz: str) -> bool:
    """True from the digest time until local midnight: a digest missed while the service was
    down still goes out when it returns the same day. Sending once is the database's job."""
    return now >= digest_due_at(local_day(now, tz), time_hhmm, tz)


def is_silent(
    now: datetime, last_new_item_at: datetime | None, typical_gap_s: float | None
) -> bool:
    """A feed that used to publish and has been quiet far longer than its usual gap.

    Never-published feeds are not "silent" (nothing to compare with); the two-day floor keeps
    a feed that publishes hourly on weekdays from being flagged every weekend.
    """
    if last_new_item_at is None or not typical_gap_s or typical_gap_s <= 0:
        return False
    threshold = max(SILENT_GAP_FACTOR * typical_gap_s, SILENT_MIN_S)
    return (now - last_new_item_at).total_seconds() > threshold
