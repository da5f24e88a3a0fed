"""Daily digests: one per recipient per local day, queued in the outbox with its `digest_runs` row.

    enqueue_due(store, settings, now)
     └► for each recipient whose digest is due (schedule.is_digest_due: from `digest.time` in
        `digest.timezone` until local midnight, DST-safe) and not yet recorded for the day:
         └► store.digest_matches(period)       the 24 h ending at the due time (or now)
             └► build_digest(...)              pure: stories by region, urgent first, capped
                 └► store.record_digest(...)   ONE transaction: the run + its outbox row;
                                               the (recipient, day) key refuses a second one

A restart, a late worker or two workers at once therefore queue it once; a digest missed while
the service was down is queued when it comes back the same day. The sender delivers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from monitor import schedule
from monitor.config import Settings
from monitor.notify.compose import country_label, local_time, region_names
from monitor.records import DigestMatch, DigestRun, StoredMatch
from monitor.store.base import Store
from monitor.types import OutboxMessage

PERIOD = timedelta(days=1)


@dataclass(frozen=True)
class DigestOutcome:
    """What `enqueue_due` did for one recipient: `outbox_id` None means it existed already."""

    recipient: str
    day: date
    outbox_id: int | None
    stories: int = 0


# Building (pure) ---------------------------------------------------------------------------


def _story_key(m: StoredMatch) -> str:
    return f"story:{m.story_id}" if m.story_id is not None else f"item:{m.item_id}"


def _story(entries: Sequence[DigestMatch], last_end: datetime | None, settings: Settings
           ) -> dict[str, Any]:
    first = min(entries, key=lambda d: (d.match.published_at or d.match.matched_at, d.match.id))
    m = first.match
    base = settings.web.base_url
    link = m.link if m.link and m.link.lower().startswith(("http://", "https://")) else None
    return {
        "title": m.title,
        "link": link,
        "source": m.source,
        "outlets": max(max(d.match.story_outlets for d in entries),
                       len({d.match.source for d in entries})),
        "rules": list(dict.fromkeys(d.match.rule for d in entries)),
        "urgent": any(d.match.severity == "urgent" for d in entries),
        "alerted": any(d.alerted for d in entries),
        "new": last_end is None or any(d.match.matched_at > last_end for d in entries),
        "published": local_time(m.published_at or m.matched_at, settings.digest.timezone),
        "country": m.primary_region,
        "ui_link": f"{base}/matches/{m.id}" if base else None,
        "latest": max(d.match.matched_at for d in entries).isoformat(),
        "matches": len(entries),
    }


def _ranked(stories: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Urgent first, then the most widely reported, then the most recent."""
    recent_first = sorted(stories, key=lambda s: str(s["latest"]), reverse=True)
    return sorted(recent_first, key=lambda s: (not s["urgent"], -int(s["outlets"])))


def _groups(stories: Sequence[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """Stories (already ranked) by primary country; a group ranks by its best story."""
    groups: dict[str, dict[str, Any]] = {}
    for story in stories:
        code = story["country"] or ""
        group = groups.setdefault(code, {
            "name": country_label(code) if code else "No primary country",
            "regions": region_names(code, settings.regions),
            "stories": [],
        })
        group["stories"].append(story)
    return list(groups.values())


def _summary(stories: Sequence[dict[str, Any]], matches: int, first: bool) -> str:
    if not stories:
        return "No matches in this period."
    countries = len({s["country"] for s in stories if s["country"]})
    urgent = sum(1 for s in stories if s["urgent"])
    new = sum(1 for s in stories if s["new"])
    line = (f"{len(stories)} {'story' if len(stories) == 1 else 'stories'} from {matches} "
            f"{'match' if matches == 1 else 'matches'} in {countries} "
            f"{'country' if countries == 1 else 'countries'}")
    line += f"; {urgent} urgent" if urgent else ""
    return line + ("" if first else f"; {new} new since the last digest") + "."


def build_digest(
    matches: Sequence[DigestMatch],
    settings: Settings,
    day: date,
    period: tuple[datetime, datetime],
    last_end: datetime | None,
) -> dict[str, Any]:
    """The digest's content as a JSON-ready payload (everything the templates show)."""
    visible = [d for d in matches if d.match.status != "false_positive"]
    by_story: dict[str, list[DigestMatch]] = {}
    for d in visible:
        by_story.setdefault(_story_key(d.match), []).append(d)
    ranked = _ranked([_story(e, last_end, settings) for e in by_story.values()])
    cap = settings.digest.max_stories
    shown = ranked[:cap]
    tz = settings.digest.timezone
    urgent = sum(1 for s in ranked if s["urgent"])
    base = settings.web.base_url
    return {
        "subject": f"Digest {day.isoformat()}: {len(ranked)} stories ({urgent} urgent)",
        "date": day.isoformat(),
        "timezone": tz,
        "period": f"{local_time(period[0], tz, '%d %b %H:%M')} – "
                  f"{local_time(period[1], tz, '%d %b %H:%M')} ({tz})",
        "summary": _summary(ranked, len(visible), last_end is None),
        "groups": _groups(shown, settings),
        "more": len(ranked) - len(shown),
        "more_link": f"{base}/matches" if base else None,
        "stories": len(ranked),
        "urgent": urgent,
    }


# Queueing (IO) -----------------------------------------------------------------------------


def _period(now: datetime, due_at: datetime, ignore_time: bool) -> tuple[datetime, datetime]:
    """The 24 h ending at the due time, so consecutive days tile; `--now` ends it now."""
    end = now if ignore_time else min(now, due_at)
    return end - PERIOD, end


def enqueue_for(
    store: Store,
    settings: Settings,
    recipient: str,
    now: datetime,
    *,
    day: date | None = None,
    force: bool = False,
    ignore_time: bool = False,
) -> DigestOutcome | None:
    """Queue `recipient`'s digest for `day` (default: today, locally). None when not yet due."""
    d = settings.digest
    day = day or schedule.local_day(now, d.timezone)
    due_at = schedule.digest_due_at(day, d.time, d.timezone)
    if now < due_at and not ignore_time:
        return None
    if not force and store.digest_run(recipient, day) is not None:
        return DigestOutcome(recipient, day, None)
    start, end = _period(now, due_at, ignore_time)
    last = store.last_digest_run(recipient)
    last_end = last.period_end if last is not None and last.period_end < end else None
    payload = build_digest(store.digest_matches(start, end), settings, day, (start, end), last_end)
    key = f"digest:{recipient}:{day.isoformat()}" + (f":forced:{now.isoformat()}" if force else "")
    message = OutboxMessage("digest", recipient, key, payload)
    outbox_id = store.record_digest(DigestRun(recipient, day, start, end), message, now, force)
    return DigestOutcome(recipient, day, outbox_id, int(payload["stories"]))


def enqueue_due(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    recipients: Sequence[str] = (),
    day: date | None = None,
    force: bool = False,
    ignore_time: bool = False,
) -> list[DigestOutcome]:
    """Queue every due digest (each configured recipient, or just `recipients`)."""
    outcomes = []
    for recipient in recipients or settings.digest.recipients:
        outcome = enqueue_for(
            store, settings, recipient, now, day=day, force=force, ignore_time=ignore_time
        )
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
