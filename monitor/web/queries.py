"""What the pages and the API compute beyond one store call: the backtest (the same
`backtest()` as `monitor rules test`) and the digest preview (the same `build_digest()` and
renderer as the digest e-mail)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from monitor import schedule
from monitor.config import Settings
from monitor.notify.compose import render
from monitor.notify.digest import PERIOD, build_digest
from monitor.rules.backtest import BacktestHit, backtest
from monitor.store.base import Store
from monitor.types import Item, Where

MAX_DAYS = 365
MAX_HITS = 500


@dataclass(frozen=True)
class BacktestResult:
    hits: tuple[BacktestHit, ...]
    scanned: int
    truncated: bool


def run_backtest(
    store: Store,
    settings: Settings,
    query: str,
    *,
    now: datetime,
    days: int,
    regions: Sequence[str] = (),
    where: Where = "happened",
    limit: int = 100,
) -> BacktestResult:
    """Stored items of the last `days` days; raises RuleError for a bad query."""
    from monitor.geo.regions import region_countries

    since = now - timedelta(days=min(days, MAX_DAYS))
    counted = _Counted(store.iter_items(since))
    cap = min(limit, MAX_HITS)
    found = backtest(
        query, counted, regions=regions, where=where, since=since,
        region_countries=lambda name: region_countries(name, settings.regions),
    )  # fmt: skip
    hits = tuple(itertools.islice(found, cap + 1))
    return BacktestResult(hits[:cap], counted.count, len(hits) > cap)


class _Counted:
    """Counts the items a lazy backtest pulled."""

    def __init__(self, items: Any) -> None:
        self._items = iter(items)
        self.count = 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> Item:
        item: Item = next(self._items)
        self.count += 1
        return item


@dataclass(frozen=True)
class DigestPreview:
    subject: str
    text: str
    html: str
    payload: dict[str, Any]


def digest_preview(
    store: Store, settings: Settings, recipient: str, day: date, now: datetime
) -> DigestPreview:
    """The digest `recipient` gets (or got) for `day`, as it would be sent: the 24 h ending at
    the day's due time (or now, when that is still ahead). Nothing is queued or recorded."""
    d = settings.digest
    due_at = schedule.digest_due_at(day, d.time, d.timezone)
    end = min(now, due_at)
    start = end - PERIOD
    last = store.last_digest_run(recipient)
    last_end = last.period_end if last is not None and last.period_end < end else None
    payload = build_digest(store.digest_matches(start, end), settings, day, (start, end), last_end)
    message = render("digest", payload, subject=str(payload["subject"]),
                     sender=settings.email.sender, recipient=recipient,
                     message_id="<preview@monitor>", now=now)
    return DigestPreview(str(payload["subject"]), _part(message, "plain"),
                         _part(message, "html"), payload)


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    return "" if body is None else str(body.get_content())
