"""Is a feed healthy? Decide its health state after a poll and what to tell the admin (pure).

Problems: `disabled` (410 or similar), `failing` (errors for more than a day), `silent` (it used
to publish and has produced nothing new for much longer than its usual gap). Each change of
state is reported once, as a `feed_health` outbox row for `email.admin`; so is the recovery.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor import schedule
from monitor.feed_state import Outcome
from monitor.types import Feed, OutboxMessage

FAILING_AFTER = timedelta(hours=24)
PROBLEMS = ("disabled", "failing", "silent")


def health_after(feed: Feed, outcome: Outcome, now: datetime, new_items: int) -> str | None:
    """The feed's health problem after this poll, or None when healthy."""
    if outcome.disabled_reason:
        return "disabled"
    if outcome.error is not None:
        failing_for = now - (outcome.failing_since or now)
        return "failing" if failing_for >= FAILING_AFTER else feed.health
    if new_items:
        return None
    silent = schedule.is_silent(now, feed.last_new_item_at, outcome.typical_gap_s)
    return "silent" if silent else None


def describe(feed: Feed, state: str | None, outcome: Outcome, now: datetime) -> str:
    if state == "disabled":
        return f"disabled: {outcome.disabled_reason}"
    if state == "failing":
        since = outcome.failing_since or now
        hours = (now - since).total_seconds() / 3600
        return f"failing for {hours:.0f} h ({outcome.error_count} attempts): {outcome.error}"
    if state == "silent":
        last = feed.last_new_item_at.isoformat() if feed.last_new_item_at else "never"
        return f"silent: nothing new since {last}"
    return f"recovered from {feed.health}"


def health_report(
    feed: Feed, state: str | None, outcome: Outcome, now: datetime, admin: str
) -> tuple[OutboxMessage, ...]:
    """One message when the state changed and an admin is configured; else nothing."""
    if state == feed.health or not admin or (state is None and feed.health not in PROBLEMS):
        return ()
    event = state or "recovered"
    payload = {
        "feed_url": feed.url,
        "feed_name": feed.name,
        "event": event,
        "detail": describe(feed, state, outcome, now),
        "at": now.isoformat(),
    }
    key = f"feed_health:{feed.id}:{event}:{now.isoformat()}"
    return (OutboxMessage("feed_health", admin, key, payload),)
