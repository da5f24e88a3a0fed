"""Which alerts are queued, and which are sent now, rolled up or held back (pure decisions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.config import RuleConfig
from monitor.notify.alerts import (
    AlertPlan,
    alert_messages,
    dedupe_key,
    history_since,
    plan_alerts,
)
from monitor.records import OutboxRow, SentAlert
from monitor.types import GeoTags, Item, Match, NewItem, OutboxMessage

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
URGENT = RuleConfig(
    name="iraq-attacks", query="rocket*", severity="urgent",
    recipients=("duty@example.org", "chief@example.org"), cooldown_s=900,
)
NORMAL = RuleConfig(name="iran-nuclear", query="uranium", severity="normal")
MAX_AGE_S = 6 * 3600


def new_item(
    key: str = "gz-1",
    *,
    feed_id: int = 1,
    published: datetime | None = NOW,
    fetched: datetime | None = NOW,
    link: str | None = "https://wire.example/gz-1",
    rule: RuleConfig = URGENT,
) -> NewItem:
    item = Item(
        key=key, feed_id=feed_id, source=f"Outlet {feed_id}", title="Rockets hit Green Zone",
        summary="Two rockets struck near the embassy.", link=link, published_at=published,
        fetched_at=fetched, geo=GeoTags(("IQ",), "IQ", ()),
    )
    return NewItem(item, (Match(rule.name, rule.severity, ("rocket*",)),))


def queued(*items: NewItem, story: str | None = None) -> tuple[OutboxMessage, ...]:
    if story is None:
        return alert_messages(items, (URGENT, NORMAL), NOW, MAX_AGE_S)
    return alert_messages(items, (URGENT, NORMAL), NOW, MAX_AGE_S, lambda _: story)


def row(
    row_id: int,
    *,
    rule: str = "iraq-attacks",
    recipient: str = "duty@example.org",
    created: datetime = NOW,
) -> OutboxRow:
    return OutboxRow(
        id=row_id, kind="alert", recipient=recipient, dedupe_key=f"alert:{rule}:{row_id}",
        payload={"rule": rule, "title": f"headline {row_id}"}, status="pending", attempts=0,
        created_at=created, next_attempt_at=created,
    )


def sent(minutes_ago: float, *, rule: str = "iraq-attacks", message_id: str = "<m1@x>",
         recipient: str = "duty@example.org") -> SentAlert:
    return SentAlert(rule, recipient, NOW - timedelta(minutes=minutes_ago), message_id)


def ids(plan: AlertPlan) -> list[list[int]]:
    return [[r.id for r in d.rows] for d in plan.deliveries]


# Queueing ---------------------------------------------------------------------------------


def test_an_urgent_match_on_a_fresh_item_queues_one_alert_per_recipient() -> None:
    messages = queued(new_item())
    assert [m.recipient for m in messages] == ["duty@example.org", "chief@example.org"]
    assert all(m.kind == "alert" for m in messages)
    assert messages[0].dedupe_key.startswith("alert:iraq-attacks:duty@example.org:")


def test_normal_rules_go_to_the_digest_only() -> None:
    assert queued(new_item(rule=NORMAL)) == ()


def test_items_published_before_the_alert_age_limit_never_alert() -> None:
    stale = NOW - timedelta(seconds=MAX_AGE_S + 60)
    assert queued(new_item(published=stale)) == ()
    assert len(queued(new_item(published=NOW - timedelta(hours=5)))) == 2


def test_an_item_without_a_published_time_is_judged_by_when_it_was_first_seen() -> None:
    first_seen_long_ago = NOW - timedelta(days=2)
    assert queued(new_item(published=None, fetched=first_seen_long_ago)) == ()
    assert len(queued(new_item(published=None, fetched=NOW))) == 2


def test_copies_of_one_story_from_three_outlets_queue_one_alert_per_recipient() -> None:
    copies = [new_item(f"copy-{n}", feed_id=n) for n in (1, 2, 3)]
    messages = queued(*copies, story="story-7")
    assert len(messages) == 2
    assert {m.dedupe_key for m in messages} == {
        dedupe_key("iraq-attacks", "duty@example.org", "story-7"),
        dedupe_key("iraq-attacks", "chief@example.org", "story-7"),
    }


def test_without_a_story_key_each_item_is_its_own_story() -> None:
    copies = [new_item(f"copy-{n}", feed_id=n) for n in (1, 2, 3)]
    assert len(queued(*copies)) == 6


def test_the_alert_payload_carries_what_the_email_shows_and_only_http_links() -> None:
    payload = queued(new_item(link="javascript:alert(1)"))[0].payload
    assert payload["link"] is None
    assert payload["rule"] == "iraq-attacks" and payload["query"] == "rocket*"
    assert payload["primary_country"] == "IQ" and payload["source"] == "Outlet 1"
    assert payload["feed_id"] == 1 and payload["item_key"] == "gz-1"


# Sending: cooldowns ---------------------------------------------------------------------


def test_without_a_cooldown_every_row_is_its_own_email() -> None:
    plan = plan_alerts([row(1), row(2)], [], {"iraq-attacks": 0}, 20, NOW)
    assert ids(plan) == [[1], [2]] and plan.deferrals == ()


def test_rows_arriving_inside_the_cooldown_wait_until_it_ends() -> None:
    plan = plan_alerts([row(2), row(3)], [sent(5)], {"iraq-attacks": 900}, 20, NOW)
    assert plan.deliveries == ()
    (deferral,) = plan.deferrals
    assert [r.id for r in deferral.rows] == [2, 3]
    assert deferral.until == NOW + timedelta(minutes=10)


def test_when_the_cooldown_ends_the_waiting_rows_go_out_as_one_rollup() -> None:
    during = NOW - timedelta(minutes=10)
    rows = [row(2, created=during), row(3, created=during), row(4, created=during)]
    plan = plan_alerts(rows, [sent(16)], {"iraq-attacks": 900}, 20, NOW)
    (delivery,) = plan.deliveries
    assert [r.id for r in delivery.rows] == [2, 3, 4]
    assert delivery.since == NOW - timedelta(minutes=16)


def test_a_match_long_after_the_last_alert_is_an_ordinary_alert() -> None:
    plan = plan_alerts([row(9)], [sent(50)], {"iraq-attacks": 900}, 20, NOW)
    (delivery,) = plan.deliveries
    assert delivery.since is None and not delivery.flood


def test_cooldowns_count_per_rule_and_recipient() -> None:
    rows = [row(1, recipient="chief@example.org"), row(2, rule="other-rule")]
    history = [sent(1)]
    plan = plan_alerts(rows, history, {"iraq-attacks": 900, "other-rule": 900}, 20, NOW)
    assert ids(plan) == [[1], [2]]


# Sending: the flood guard ---------------------------------------------------------------


def test_the_flood_guard_rolls_everything_beyond_the_last_slot_into_one_email() -> None:
    history = [sent(10, message_id=f"<m{n}@x>") for n in range(2)]
    rows = [row(n) for n in range(1, 6)]
    plan = plan_alerts(rows, history, {}, 4, NOW)
    assert ids(plan) == [[1], [2, 3, 4, 5]]
    assert plan.deliveries[1].flood and plan.deferrals == ()


def test_a_recipient_over_the_hourly_budget_waits_for_the_oldest_email_to_age_out() -> None:
    history = [sent(50, message_id="<old@x>"), sent(20, message_id="<new@x>")]
    plan = plan_alerts([row(7), row(8)], history, {}, 2, NOW)
    assert plan.deliveries == ()
    (deferral,) = plan.deferrals
    assert deferral.until == NOW + timedelta(minutes=10)
    assert [r.id for r in deferral.rows] == [7, 8]


def test_a_rollup_carrying_several_rows_counts_as_one_email_against_the_budget() -> None:
    history = [sent(10, message_id="<same@x>"), sent(10, message_id="<same@x>")]
    plan = plan_alerts([row(1), row(2)], history, {}, 3, NOW)
    assert ids(plan) == [[1], [2]]


def test_the_history_reaches_back_over_the_longest_cooldown_or_an_hour() -> None:
    assert history_since(NOW, {"a": 60}) == NOW - timedelta(hours=1)
    assert history_since(NOW, {"a": 60, "b": 7200}) == NOW - timedelta(hours=2)


def test_an_update_to_a_story_may_send_one_follow_up_beside_the_first_alert() -> None:
    first = alert_messages([new_item()], (URGENT,), NOW, MAX_AGE_S, lambda _: "story-7")
    update = alert_messages(
        [new_item("gz-2")], (URGENT,), NOW, MAX_AGE_S, lambda _: "story-7", lambda _: True
    )
    assert [m.dedupe_key for m in update] == [m.dedupe_key + ":update" for m in first]
    assert all(m.payload["update"] is True for m in update)
