"""The poll path, orchestrated in one place.

    store.claim_due_feeds(now)            lease rows (owner, until, token)
     └► fetcher.fetch(feed)               httpx; conditional GET; capped; never raises for the feed
         └► read_feed(body, headers)      bytes → entries identified (keys, dates)
             └► store.seen_keys()         only unseen entries are summarised and sanitised
                 └► enrich(entry)         geo tags (places, countries, primary); story
                                          fingerprint; the poll's new items together →
                                          store.assign_stories() (its own short, serialised
                                          transaction: see below)
                     └► rules.match(item) → [Match] with terms and spans
                         └► store.complete_feed(FeedResult)
                              ONE transaction: items, matches, story links, feed state, outbox
                              rows (feed health; one alert per story, rule and recipient) —
                              fenced by the lease token (lease lost ⇒ nothing written)

Story assignment is the one write before the fenced completion: it must be serialised across
every feed and worker so that the same story from three outlets, polled together, lands in one
story — and the alert's dedupe key needs the story id. A story started by a poll whose lease is
then lost has no items and is never shown; its next copy joins it.

A failing feed is data: its error is stored on the feed and the cycle goes on. Any other
exception is a bug: logged at critical and re-raised. This module decides nothing itself —
`feed_state` decides schedules and errors, `parse`/`geo`/`stories`/`match` turn bytes into
matches, `notify.alerts` decides the alert rows.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from monitor import feed_health, feed_state, schedule, stories
from monitor.config import Settings
from monitor.errors import ParseError
from monitor.fetch import Fetcher
from monitor.notify import alerts
from monitor.parse import read_feed
from monitor.store.base import Arrival, Store
from monitor.types import (
    CycleStats,
    Entry,
    Feed,
    FeedResult,
    FetchResult,
    GeoTags,
    Item,
    Match,
    NewItem,
)

log = logging.getLogger(__name__)


class Tagger(Protocol):
    def tag(self, text: str, title: str = "") -> GeoTags: ...


class Matcher(Protocol):
    def match(self, item: Item) -> list[Match]: ...


@dataclass
class PollContext:
    """The live parts one worker polls with."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    rules: Matcher
    tagger: Tagger
    owner: str
    clock: Callable[[], datetime]
    rng: random.Random = field(default_factory=random.Random)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    feed_headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass
class _Tally:
    feeds: int = 0
    new_items: int = 0
    matches: int = 0
    errors: int = 0
    lost_leases: int = 0

    def add(self, result: FeedResult, completed: bool) -> None:
        self.feeds += 1
        if not completed:
            self.lost_leases += 1
            return
        self.new_items += len(result.items)
        self.matches += sum(len(n.matches) for n in result.items)
        self.errors += result.error is not None


async def poll_cycle(ctx: PollContext, urls: Sequence[str] = ()) -> CycleStats:
    """Poll every due feed (or exactly `urls`, due or not) once; record and return the tally."""
    started = ctx.clock()
    tally = _Tally()
    batch = max(1, ctx.settings.fetch.concurrency)
    if urls:
        for i in range(0, len(urls), batch):
            if ctx.stopping.is_set():
                break
            await _poll_batch(ctx, tally, urls=urls[i : i + batch])
    else:
        while not ctx.stopping.is_set() and await _poll_batch(ctx, tally, urls=(), limit=batch):
            pass
    stats = CycleStats(started, ctx.clock(), **vars(tally))
    ctx.store.record_cycle(stats)
    log.info(
        "cycle_done feeds=%d new=%d matches=%d errors=%d lost_leases=%d duration_s=%.2f",
        stats.feeds,
        stats.new_items,
        stats.matches,
        stats.errors,
        stats.lost_leases,
        (stats.finished_at - stats.started_at).total_seconds(),
    )
    return stats


async def _poll_batch(
    ctx: PollContext, tally: _Tally, *, urls: Sequence[str], limit: int = 0
) -> bool:
    feeds = ctx.store.claim_due_feeds(
        ctx.clock(), ctx.owner, ctx.settings.worker.lease_s, limit or len(urls), urls=urls
    )
    results = await asyncio.gather(*(poll_feed(ctx, feed) for feed in feeds))
    for result in results:
        tally.add(result, ctx.store.complete_feed(result, ctx.owner))
    return bool(feeds)


async def poll_feed(ctx: PollContext, feed: Feed) -> FeedResult:
    """Fetch, parse, enrich and match one claimed feed; returns what to store."""
    began = time.monotonic()
    try:
        conditional = not schedule.needs_unconditional(ctx.clock(), feed.last_unconditional_at)
        headers = ctx.feed_headers.get(feed.url)
        fetched = await ctx.fetcher.fetch(feed, conditional=conditional, headers=headers)
        now = ctx.clock()
        outcome, items = _decide(ctx, feed, fetched, now)
        result = _result(feed, fetched, now, outcome, ctx.settings, items)
        if not conditional and fetched.status in (200, 304):
            result = replace(result, unconditional=True)
    except Exception:
        log.critical("feed_bug feed_url=%s", feed.url, exc_info=True)
        raise
    log.info(
        "feed_polled feed_url=%s status=%s new=%d matches=%d error=%r duration_s=%.3f",
        feed.url,
        result.status,
        len(result.items),
        sum(len(n.matches) for n in result.items),
        result.error,
        time.monotonic() - began,
    )
    return result


def _decide(
    ctx: PollContext, feed: Feed, fetched: FetchResult, now: datetime
) -> tuple[feed_state.Outcome, tuple[NewItem, ...]]:
    fs = ctx.settings.fetch
    if fetched.error is not None:
        retry_after = fetched.headers.get("retry-after")
        failed = feed_state.after_failure(
            feed, fetched.error, now, fs, ctx.rng, status=fetched.status, retry_after=retry_after
        )
        return failed, ()
    if fetched.status == 304 or fetched.body is None:
        return feed_state.after_success(feed, fetched, now, fs), ()
    try:
        document = read_feed(
            fetched.body, fetched.headers, fetched.final_url or feed.target_url, now=now
        )
    except ParseError as e:
        return feed_state.after_failure(feed, f"unparseable feed: {e}", now, fs, ctx.rng), ()
    outcome = feed_state.after_success(
        feed, fetched, now, fs, ttl_s=document.ttl_s, published=document.published
    )
    fresh = _unique(document.entries(skip=ctx.store.seen_keys(feed.id, document.keys)))
    items = [_item(ctx, feed, entry, now) for entry in fresh]
    arrivals = [
        Arrival(stories.fingerprint(item.title, item.summary, geo=item.geo),
                min(item.published_at or now, now), item.geo.primary)
        for item in items
    ]  # fmt: skip
    assigned = ctx.store.assign_stories(arrivals)
    return outcome, tuple(
        NewItem(item, tuple(ctx.rules.match(item)), story.story_id, story.updated)
        for item, story in zip(items, assigned, strict=True)
    )


def _unique(entries: Sequence[Entry]) -> list[Entry]:
    """A document may repeat an entry; the first copy wins."""
    first = {e.key: e for e in reversed(entries)}
    return [e for e in entries if first[e.key] is e]


def _item(ctx: PollContext, feed: Feed, entry: Entry, now: datetime) -> Item:
    return Item(
        key=entry.key,
        feed_id=feed.id,
        source=feed.name,
        title=entry.title,
        summary=entry.summary,
        link=entry.link,
        author=entry.author,
        published_at=entry.published_at,
        fetched_at=now,
        summary_html=entry.summary_html,
        geo=ctx.tagger.tag(entry.summary, entry.title),
    )


def _story_key(new: NewItem) -> str:
    return f"story:{new.story_id}" if new.story_id else alerts.item_story_key(new)


def _story_updated(new: NewItem) -> bool:
    return new.story_updated


def _result(
    feed: Feed,
    fetched: FetchResult,
    now: datetime,
    outcome: feed_state.Outcome,
    settings: Settings,
    items: tuple[NewItem, ...],
) -> FeedResult:
    health = feed_health.health_after(feed, outcome, now, len(items))
    return FeedResult(
        feed_id=feed.id,
        lease_token=feed.lease_token or "",
        checked_at=now,
        next_check_at=outcome.next_check_at,
        status=fetched.status,
        error=outcome.error,
        error_count=outcome.error_count,
        etag=outcome.etag,
        last_modified=outcome.last_modified,
        items=items,
        disabled_reason=outcome.disabled_reason,
        redirect=outcome.redirect,
        failing_since=outcome.failing_since,
        typical_gap_s=outcome.typical_gap_s,
        health=health,
        host_backoff_until=outcome.host_backoff_until,
        outbox=(
            *feed_health.health_report(feed, health, outcome, now, settings.email.admin),
            *alerts.for_new_items(items, settings, now, _story_key, _story_updated),
        ),
    )
