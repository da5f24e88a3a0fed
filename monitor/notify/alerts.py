"""Which alert emails to queue, and which to send now (pure: data and `now` in, decisions out).

Queueing (poll path, inside the transaction that stores the matches): each match of an `urgent`
rule on a fresh item becomes one outbox row per recipient, keyed
`alert:{rule}:{recipient}:{story hash}` — one alert per story per rule per recipient, however
many outlets report it. The story key is an input (`story_key`); until story ids exist before
the poll transaction it is the item's own key. Items older than `email.alert_max_age` (published
time, else first seen) never alert: they reach the digest only. `normal` rules never alert.

Sending (the sender stage, which sees what went out recently): per rule and recipient at most one
email per cooldown — rows due while the cooldown runs wait until it ends and then go out
together as one roll-up ("3 more matches since 14:05"); per recipient at most
`email.max_per_hour` alert emails per hour — beyond the last slot everything pending is rolled
into one email, and once the hour's budget is spent rows wait for the oldest email to age out.
Nothing is ever dropped, only delayed and combined.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from monitor.config import RuleConfig, Settings
from monitor.records import OutboxRow, SentAlert
from monitor.types import Item, Match, NewItem, OutboxMessage

SUMMARY_LIMIT = 600
HOUR = timedelta(hours=1)
T = TypeVar("T")
StoryKey = Callable[[NewItem], str]


def item_story_key(new: NewItem) -> str:
    """The story key the poll path can compute before storing: the item itself."""
    return f"item:{new.item.feed_id}:{new.item.key}"


def dedupe_key(rule: str, recipient: str, story_key: str) -> str:
    story = hashlib.sha256(story_key.encode("utf-8")).hexdigest()[:16]
    return f"alert:{rule}:{recipient}:{story}"


def too_old(item: Item, now: datetime, max_age_s: float) -> bool:
    """Older than the alert age limit, by published time, else the time we first saw it."""
    seen = item.published_at or item.fetched_at or now
    return (now - seen).total_seconds() > max_age_s


def _http_link(link: str | None) -> str | None:
    if link and link.lower().startswith(("http://", "https://")):
        return link
    return None


def _clipped_summary(summary: str) -> str:
    return summary if len(summary) <= SUMMARY_LIMIT else summary[:SUMMARY_LIMIT].rstrip() + "…"


def alert_payload(item: Item, match: Match, rule: RuleConfig, story_key: str) -> dict[str, object]:
    """Everything the email needs that the poll path knows (ids are added when claimed)."""
    hits = [
        [h.term, h.field, h.start, h.end]
        for h in match.hits
        if h.field == "title" or (h.field == "summary" and h.end <= SUMMARY_LIMIT)
    ]
    return {
        "rule": rule.name,
        "query": rule.query,
        "severity": match.severity,
        "story_key": story_key,
        "feed_id": item.feed_id,
        "item_key": item.key,
        "title": item.title,
        "summary": _clipped_summary(item.summary),
        "link": _http_link(item.link),
        "source": item.source,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "fetched_at": item.fetched_at.isoformat() if item.fetched_at else None,
        "countries": list(item.geo.countries),
        "primary_country": item.geo.primary,
        "regions": list(match.regions),
        "terms": list(match.terms),
        "hits": hits,
    }


def _never_updated(new: NewItem) -> bool:
    return False


def alert_messages(
    items: Iterable[NewItem],
    rules: Sequence[RuleConfig],
    now: datetime,
    max_age_s: float,
    story_key: StoryKey = item_story_key,
    is_update: Callable[[NewItem], bool] = _never_updated,
) -> tuple[OutboxMessage, ...]:
    """The alert rows for freshly stored items: urgent matches on recent items, per recipient.

    An item that `is_update` of its story (a story flagged as updated) may send one short
    follow-up per story, rule and recipient (key suffix `:update`); the sender's cooldown still
    spaces it from the first alert."""
    by_name = {rule.name: rule for rule in rules}
    messages: dict[str, OutboxMessage] = {}
    for new in items:
        if too_old(new.item, now, max_age_s):
            continue
        key, update = story_key(new), is_update(new)
        for match in new.matches:
            rule = by_name.get(match.rule)
            if match.severity != "urgent" or rule is None:
                continue
            payload = {**alert_payload(new.item, match, rule, key), "update": update}
            for recipient in rule.recipients:
                dedupe = dedupe_key(rule.name, recipient, key) + (":update" if update else "")
                messages.setdefault(dedupe, OutboxMessage("alert", recipient, dedupe, payload))
    return tuple(messages.values())


def for_new_items(
    items: Iterable[NewItem],
    settings: Settings,
    now: datetime,
    story_key: StoryKey = item_story_key,
    is_update: Callable[[NewItem], bool] = _never_updated,
) -> tuple[OutboxMessage, ...]:
    """`alert_messages` with the rules and age limit from the settings."""
    max_age_s = settings.email.alert_max_age_s
    return alert_messages(items, settings.rules, now, max_age_s, story_key, is_update)


# Sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One email carrying one or more alert rows.

    `since`: a cooldown roll-up of matches that arrived after the alert sent at that time.
    `flood`: the recipient's hourly budget is nearly spent; this email rolls up the rest."""

    rows: tuple[OutboxRow, ...]
    since: datetime | None = None
    flood: bool = False


@dataclass(frozen=True)
class Deferral:
    """Rows that must wait until `until` (a cooldown's end, or a free slot in the hour)."""

    rows: tuple[OutboxRow, ...]
    until: datetime


@dataclass(frozen=True)
class AlertPlan:
    deliveries: tuple[Delivery, ...] = ()
    deferrals: tuple[Deferral, ...] = ()


def row_rule(row: OutboxRow) -> str:
    return str(row.payload.get("rule", ""))


def history_since(now: datetime, cooldowns: Mapping[str, float]) -> datetime:
    """How far back `plan_alerts` needs the sent-alert history."""
    return now - max(HOUR, timedelta(seconds=max(cooldowns.values(), default=0.0)))


def cooldowns_of(rules: Sequence[RuleConfig]) -> dict[str, float]:
    return {rule.name: float(rule.cooldown_s) for rule in rules}


def _grouped(values: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    groups: dict[str, list[T]] = {}
    for value in values:
        groups.setdefault(key(value), []).append(value)
    return groups


def plan_alerts(
    rows: Sequence[OutboxRow],
    history: Sequence[SentAlert],
    cooldowns: Mapping[str, float],
    max_per_hour: int,
    now: datetime,
) -> AlertPlan:
    """Decide, for due alert rows, which emails go out now and which rows wait until when."""
    deliveries: list[Delivery] = []
    deferrals: list[Deferral] = []
    ordered = sorted(rows, key=lambda r: r.id)
    for recipient, mine in _grouped(ordered, lambda r: r.recipient).items():
        sent = [h for h in history if h.recipient == recipient]
        ready, waiting = _by_cooldown(mine, sent, cooldowns, now)
        allowed, flooded = _flood_guard(ready, sent, max_per_hour, now)
        deliveries += allowed
        deferrals += waiting + flooded
    return AlertPlan(tuple(deliveries), tuple(deferrals))


def _by_cooldown(
    rows: Sequence[OutboxRow],
    sent: Sequence[SentAlert],
    cooldowns: Mapping[str, float],
    now: datetime,
) -> tuple[list[Delivery], list[Deferral]]:
    ready: list[Delivery] = []
    waiting: list[Deferral] = []
    for rule, group in _grouped(rows, row_rule).items():
        last = max((h.sent_at for h in sent if h.rule == rule), default=None)
        cooldown = timedelta(seconds=cooldowns.get(rule, 0.0))
        if not cooldown:
            ready += [Delivery((row,)) for row in group]
        elif last is not None and now < last + cooldown:
            waiting.append(Deferral(tuple(group), last + cooldown))
        else:
            arrived_meanwhile = last is not None and group[0].created_at < last + cooldown
            ready.append(Delivery(tuple(group), since=last if arrived_meanwhile else None))
    ready.sort(key=lambda d: d.rows[0].id)
    return ready, waiting


def _flood_guard(
    ready: list[Delivery], sent: Sequence[SentAlert], max_per_hour: int, now: datetime
) -> tuple[list[Delivery], list[Deferral]]:
    emails: dict[str, datetime] = {}
    for h in sent:
        if h.sent_at > now - HOUR:
            emails[h.message_id] = min(h.sent_at, emails.get(h.message_id, h.sent_at))
    recent = sorted(emails.values())
    budget = max_per_hour - len(recent)
    if len(ready) <= budget:
        return ready, []
    if budget <= 0:
        free_at = recent[len(recent) - max_per_hour] + HOUR
        return [], [Deferral(tuple(r for d in ready for r in d.rows), free_at)]
    rolled = tuple(r for d in ready[budget - 1 :] for r in d.rows)
    return ready[: budget - 1] + [Delivery(rolled, flood=True)], []
