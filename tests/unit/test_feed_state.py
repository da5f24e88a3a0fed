"""What a fetch means for a feed: validators, backoff, Retry-After, 410, redirects, health."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import FetchSettings
from monitor.feed_health import health_after, health_report
from monitor.feed_state import GONE_REASON, after_failure, after_success, redirect_state
from monitor.types import Feed, FetchResult

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = FetchSettings(interval_s=600, min_interval_s=300, max_interval_s=86400)
FEED = Feed(id=7, url="https://wire.example/rss", name="Wire", etag='"old"', last_modified="Mon")


def ok(status: int = 200, **kw: object) -> FetchResult:
    return FetchResult(url=FEED.url, status=status, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fetched", "expected"),
    [
        (ok(200, etag='"new"', last_modified="Tue"), ('"new"', "Tue")),
        (ok(200, etag='"new"'), ('"new"', None)),
        (ok(200, last_modified="Tue"), (None, "Tue")),
        (ok(304, etag='"new"'), ('"new"', "Mon")),
        (ok(304, last_modified="Tue"), ('"old"', "Tue")),
        (ok(304), ('"old"', "Mon")),
    ],
)
def test_each_validator_is_updated_independently(
    fetched: FetchResult, expected: tuple[str | None, str | None]
) -> None:
    outcome = after_success(FEED, fetched, NOW, SETTINGS)

    assert (outcome.etag, outcome.last_modified) == expected


def test_a_success_resets_errors_and_is_never_sooner_than_min_interval() -> None:
    failing = replace(FEED, error_count=4, failing_since=NOW - timedelta(hours=3))

    outcome = after_success(failing, ok(), NOW, SETTINGS)

    assert outcome.error is None and outcome.error_count == 0 and outcome.failing_since is None
    assert outcome.next_check_at >= NOW + timedelta(seconds=SETTINGS.min_interval_s)


def test_errors_back_off_exponentially_up_to_a_day() -> None:
    rng = random.Random(1)
    delays = []
    feed = FEED
    for _ in range(12):
        outcome = after_failure(feed, "HTTP 500", NOW, SETTINGS, rng, status=500)
        delays.append((outcome.next_check_at - NOW).total_seconds())
        feed = replace(feed, error_count=outcome.error_count)

    assert delays[3] > delays[0]
    assert max(delays) <= 86400 and min(delays) >= SETTINGS.min_interval_s


def test_the_first_failure_starts_the_failing_clock_and_later_ones_keep_it() -> None:
    first = after_failure(FEED, "boom", NOW, SETTINGS, random.Random(0))
    later = after_failure(
        replace(FEED, failing_since=NOW - timedelta(hours=5), error_count=3),
        "boom",
        NOW,
        SETTINGS,
        random.Random(0),
    )

    assert first.failing_since == NOW
    assert later.failing_since == NOW - timedelta(hours=5) and later.error_count == 4


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 300), ("3600", 3600), ("Wed, 25 Nov 2026 14:00:00 GMT", 7200), ("99999999", 604800)],
)
def test_retry_after_is_honoured_clamped_and_applied_to_the_host(
    status: int, header: str, seconds: int
) -> None:
    outcome = after_failure(
        FEED, "slow down", NOW, SETTINGS, random.Random(0), status=status, retry_after=header
    )

    assert outcome.next_check_at == NOW + timedelta(seconds=seconds)
    assert outcome.host_backoff_until == outcome.next_check_at


def test_410_disables_the_feed_with_a_reason() -> None:
    outcome = after_failure(FEED, "HTTP 410 Gone", NOW, SETTINGS, random.Random(0), status=410)

    assert outcome.disabled_reason == GONE_REASON


def test_a_permanent_redirect_is_adopted_only_after_several_polls_over_a_day() -> None:
    target = "https://wire.example/new-rss"
    moved = ok(200, final_url=target, permanent_redirect=True)
    feed = FEED
    for hours in (0, 6, 12):
        state = redirect_state(feed, moved, NOW + timedelta(hours=hours))
        assert state.fetch_url is None and state.candidate == target
        feed = replace(
            feed,
            redirect_url=state.candidate,
            redirect_first_seen_at=state.first_seen_at,
            redirect_count=state.count,
        )

    adopted = redirect_state(feed, moved, NOW + timedelta(hours=25))

    assert adopted.fetch_url == target and adopted.candidate is None


def test_a_changing_or_temporary_redirect_is_never_adopted() -> None:
    feed = replace(FEED, redirect_url="https://a.example/x", redirect_first_seen_at=NOW,
                   redirect_count=5)  # fmt: skip
    other = redirect_state(
        feed, ok(200, final_url="https://b.example/y", permanent_redirect=True), NOW
    )
    temporary = redirect_state(feed, ok(200, final_url="https://a.example/x"), NOW)

    assert other.candidate == "https://b.example/y" and other.count == 1
    assert temporary.candidate is None and temporary.fetch_url is None


def test_a_feed_failing_for_over_a_day_is_reported_once() -> None:
    feed = replace(FEED, failing_since=NOW - timedelta(hours=25), error_count=9)
    outcome = after_failure(feed, "HTTP 500", NOW, SETTINGS, random.Random(0), status=500)

    state = health_after(feed, outcome, NOW, 0)
    first = health_report(feed, state, outcome, NOW, "ops@example.org")
    again = health_report(replace(feed, health=state), state, outcome, NOW, "ops@example.org")

    assert state == "failing" and again == ()
    [message] = first
    assert message.kind == "feed_health" and message.recipient == "ops@example.org"
    assert "failing for 25 h" in str(message.payload["detail"])


def test_a_feed_that_stopped_publishing_is_silent_and_its_recovery_is_reported() -> None:
    feed = replace(FEED, last_new_item_at=NOW - timedelta(days=10), typical_gap_s=3600)
    outcome = after_success(feed, ok(304), NOW, SETTINGS)

    assert health_after(feed, outcome, NOW, 0) == "silent"
    silent = replace(feed, health="silent")
    assert health_after(silent, outcome, NOW, 3) is None
    [report] = health_report(silent, None, outcome, NOW, "ops@example.org")
    assert report.payload["event"] == "recovered"


def test_no_admin_means_no_health_messages() -> None:
    outcome = after_failure(FEED, "gone", NOW, SETTINGS, random.Random(0), status=410)

    assert health_report(FEED, "disabled", outcome, NOW, "") == ()
