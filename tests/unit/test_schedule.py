from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.schedule import (
    backoff_after_error,
    cache_lifetime_s,
    clamp_retry_after,
    digest_due_at,
    is_digest_due,
    is_silent,
    local_day,
    median_gap_s,
    needs_unconditional,
    next_check_after_success,
    parse_cache_control_max_age,
    parse_expires,
    parse_hhmm,
    parse_retry_after,
    publish_gaps,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
MIN, HOUR, DAY = 60.0, 3600.0, 86400.0


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def seconds_after_now(moment: datetime) -> float:
    return (moment - NOW).total_seconds()


@pytest.mark.parametrize(
    ("case", "kwargs", "expected_s"),
    [
        ("no history uses the configured interval", {}, 10 * MIN),
        ("half the median gap wins", {"publish_gaps_s": (20 * MIN, 30 * MIN, HOUR)}, 15 * MIN),
        ("a busy feed is clamped to min_interval", {"publish_gaps_s": (10.0, 20.0)}, 5 * MIN),
        ("a sleepy feed is clamped to max_interval", {"publish_gaps_s": (3 * DAY,)}, DAY),
        ("a larger ttl lengthens the interval", {"ttl_s": HOUR}, HOUR),
        ("a smaller ttl is ignored", {"ttl_s": 60.0}, 10 * MIN),
        ("a larger max-age lengthens the interval", {"max_age_s": 2 * HOUR}, 2 * HOUR),
        (
            "the larger hint wins over the publication gap",
            {"publish_gaps_s": (20 * MIN,), "ttl_s": 15 * MIN, "max_age_s": 45 * MIN},
            45 * MIN,
        ),
        ("a hint beyond max_interval is capped", {"max_age_s": 30 * DAY}, DAY),
    ],
)
def test_next_check_after_success_adapts_within_bounds(
    case: str, kwargs: dict[str, object], expected_s: float
) -> None:
    result = next_check_after_success(NOW, 10 * MIN, 5 * MIN, DAY, **kwargs)  # type: ignore[arg-type]
    assert seconds_after_now(result) == expected_s, case


def test_next_check_never_goes_below_min_interval_even_if_max_is_smaller() -> None:
    result = next_check_after_success(NOW, 60.0, 5 * MIN, 2 * MIN)
    assert seconds_after_now(result) == 5 * MIN


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], ()),
        ([utc(2026, 1, 1, 12)], ()),
        ([utc(2026, 1, 1, 14), utc(2026, 1, 1, 12), utc(2026, 1, 1, 13)], (3600.0, 3600.0)),
        ([utc(2026, 1, 1, 12), utc(2026, 1, 1, 12), utc(2026, 1, 1, 12, 30)], (1800.0,)),
    ],
)
def test_publish_gaps_are_sorted_differences_without_same_batch_zeros(
    times: list[datetime], expected: tuple[float, ...]
) -> None:
    assert publish_gaps(times) == expected


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [((), None), ((0.0,), None), ((10.0, 1000.0, 30.0), 30.0), ((10.0, 20.0), 15.0)],
)
def test_median_gap_ignores_outliers_and_empty_input(
    gaps: tuple[float, ...], expected: float | None
) -> None:
    assert median_gap_s(gaps) == expected


@pytest.mark.parametrize(
    ("case", "errors", "interval_s", "jitter", "expected_s"),
    [
        ("first failure waits one interval", 1, 10 * MIN, 0.0, 10 * MIN),
        ("second failure doubles", 2, 10 * MIN, 0.0, 20 * MIN),
        ("fourth failure is eight intervals", 4, 10 * MIN, 0.0, 80 * MIN),
        ("many failures are capped at a day", 1000, 10 * MIN, 0.0, DAY),
        ("jitter shortens by up to a quarter", 1, 10 * MIN, 0.999999, 7.5 * MIN),
        ("never below min_interval", 1, 60.0, 0.999999, 5 * MIN),
        ("a zero count counts as the first failure", 0, 10 * MIN, 0.0, 10 * MIN),
    ],
)
def test_backoff_after_error_is_exponential_jittered_and_capped(
    case: str, errors: int, interval_s: float, jitter: float, expected_s: float
) -> None:
    result = backoff_after_error(NOW, errors, interval_s, 5 * MIN, _FixedRandom(jitter))
    assert seconds_after_now(result) == pytest.approx(expected_s, abs=0.01), case


class _FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_backoff_jitter_spreads_feeds_that_failed_together() -> None:
    rng = random.Random(42)
    delays = {backoff_after_error(NOW, 3, 10 * MIN, 5 * MIN, rng) for _ in range(20)}
    assert len(delays) == 20
    assert all(30 * MIN <= seconds_after_now(d) <= 40 * MIN for d in delays)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("  0 ", 0.0),
        ("Wed, 25 Nov 2026 15:10:00 GMT", 600.0),
        ("Wed, 25 Nov 2026 16:00:00 +0100", 0.0),
        ("Wed, 25 Nov 2026 15:00:30 -0000", 30.0),
        ("Tue, 24 Nov 2026 15:00:00 GMT", 0.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(
    value: str | None, expected: float | None
) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.0, 300.0), (600.0, 600.0), (30 * DAY, 7 * DAY)],
)
def test_clamp_retry_after_keeps_between_min_interval_and_a_week(
    seconds: float, expected: float
) -> None:
    assert clamp_retry_after(seconds, 300.0) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Cache-Control": "max-age=600"}, 600.0),
        ({"cache-control": 'public, MAX-AGE = "900"'}, 900.0),
        ({"Cache-Control": "max-age=600, no-cache"}, None),
        ({"Cache-Control": "no-store"}, None),
        ({"Cache-Control": "max-age=-1"}, None),
        ({"Cache-Control": "s-maxage=600"}, None),
    ],
)
def test_parse_cache_control_max_age(headers: dict[str, str], expected: float | None) -> None:
    assert parse_cache_control_max_age(headers) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Expires": "0"}, None),
        ({"Expires": "Wed, 25 Nov 2026 16:00:00 GMT"}, 3600.0),
        ({"expires": "Wed, 25 Nov 2026 14:00:00 GMT"}, 0.0),
        (
            {"Expires": "Wed, 25 Nov 2026 10:30:00 GMT", "Date": "Wed, 25 Nov 2026 10:00:00 GMT"},
            1800.0,
        ),
    ],
)
def test_parse_expires_measures_from_the_server_date_when_given(
    headers: dict[str, str], expected: float | None
) -> None:
    assert parse_expires(headers, NOW) == expected


def test_cache_lifetime_prefers_max_age_over_expires() -> None:
    headers = {"Cache-Control": "max-age=60", "Expires": "Wed, 25 Nov 2026 16:00:00 GMT"}
    assert cache_lifetime_s(headers, NOW) == 60.0
    assert cache_lifetime_s({"Expires": "Wed, 25 Nov 2026 16:00:00 GMT"}, NOW) == 3600.0


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, True),
        (NOW - timedelta(hours=23), False),
        (NOW - timedelta(days=1), True),
        (NOW - timedelta(days=3), True),
    ],
)
def test_needs_unconditional_at_least_daily(last: datetime | None, expected: bool) -> None:
    assert needs_unconditional(NOW, last) is expected


@pytest.mark.parametrize(
    ("text", "hour", "minute"),
    [("18:00", 18, 0), ("7:05", 7, 5), (" 00:00 ", 0, 0), ("23:59", 23, 59)],
)
def test_parse_hhmm_accepts_24_hour_times(text: str, hour: int, minute: int) -> None:
    parsed = parse_hhmm(text)
    assert (parsed.hour, parsed.minute) == (hour, minute)


@pytest.mark.parametrize("text", ["24:00", "12:60", "6pm", "18", "18:0", "", "1800"])
def test_parse_hhmm_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


@pytest.mark.parametrize(
    ("case", "day", "hhmm", "tz", "expected"),
    [
        ("winter London", date(2026, 1, 15), "18:00", "Europe/London", utc(2026, 1, 15, 18)),
        ("summer London", date(2026, 7, 15), "18:00", "Europe/London", utc(2026, 7, 15, 17)),
        (
            "London spring-forward gap moves forward",
            date(2026, 3, 29),
            "01:30",
            "Europe/London",
            utc(2026, 3, 29, 1, 30),
        ),
        (
            "London fall-back ambiguity takes the first",
            date(2026, 10, 25),
            "01:30",
            "Europe/London",
            utc(2026, 10, 25, 0, 30),
        ),
        (
            "New York spring-forward gap moves forward",
            date(2026, 3, 8),
            "02:30",
            "America/New_York",
            utc(2026, 3, 8, 7, 30),
        ),
        (
            "New York fall-back ambiguity takes the first",
            date(2026, 11, 1),
            "01:30",
            "America/New_York",
            utc(2026, 11, 1, 5, 30),
        ),
        (
            "New York evening after the change",
            date(2026, 11, 1),
            "18:00",
            "America/New_York",
            utc(2026, 11, 1, 23),
        ),
        ("Baghdad has no DST", date(2026, 7, 1), "18:00", "Asia/Baghdad", utc(2026, 7, 1, 15)),
    ],
)
def test_digest_due_at_is_dst_safe(
    case: str, day: date, hhmm: str, tz: str, expected: datetime
) -> None:
    assert digest_due_at(day, hhmm, tz) == expected, case


def test_a_gap_time_lands_after_the_jump_in_local_clock_terms() -> None:
    due = digest_due_at(date(2026, 3, 8), "02:30", "America/New_York")
    local = due.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (3, 30)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (utc(2026, 11, 25, 23, 30), "UTC", date(2026, 11, 25)),
        (utc(2026, 11, 25, 23, 30), "Asia/Baghdad", date(2026, 11, 26)),
        (utc(2026, 11, 25, 3, 0), "America/New_York", date(2026, 11, 24)),
    ],
)
def test_local_day_is_the_calendar_day_in_the_zone(now: datetime, tz: str, expected: date) -> None:
    assert local_day(now, tz) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 25, 14, 59), False),  # 17:59 in Baghdad
        (utc(2026, 11, 25, 15, 0), True),  # 18:00
        (utc(2026, 11, 25, 20, 59), True),  # 23:59: a late worker still sends today's
        (utc(2026, 11, 25, 21, 0), False),  # 00:00 next day: tomorrow's is not yet due
    ],
)
def test_is_digest_due_from_the_local_time_until_local_midnight(
    now: datetime, expected: bool
) -> None:
    assert is_digest_due(now, "18:00", "Asia/Baghdad") is expected


def test_is_digest_due_across_the_london_clock_change() -> None:
    before = utc(2026, 3, 29, 16, 59)  # 17:59 BST
    after = utc(2026, 3, 29, 17, 0)  # 18:00 BST
    assert not is_digest_due(before, "18:00", "Europe/London")
    assert is_digest_due(after, "18:00", "Europe/London")


@pytest.mark.parametrize(
    ("case", "quiet_for", "gap_s", "expected"),
    [
        ("never published", None, None, False),
        ("no typical gap", timedelta(days=30), None, False),
        ("hourly feed quiet for a day is within the two-day floor", timedelta(days=1), HOUR, False),
        ("hourly feed quiet for three days", timedelta(days=3), HOUR, True),
        ("daily feed quiet for three days", timedelta(days=3), DAY, False),
        ("daily feed quiet for five days", timedelta(days=5), DAY, True),
    ],
)
def test_is_silent_when_quiet_far_longer_than_usual(
    case: str, quiet_for: timedelta | None, gap_s: float | None, expected: bool
) -> None:
    last = NOW - quiet_for if quiet_for is not None else None
    assert is_silent(NOW, last, gap_s) is expected, case
