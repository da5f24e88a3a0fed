"""Rendering shared by the commands: JSON-safe values and rich tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from monitor.records import StoredMatch, StoredStory
from monitor.types import Feed


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def match_json(m: StoredMatch) -> dict[str, Any]:
    return {
        "id": m.id,
        "rule": m.rule,
        "severity": m.severity,
        "title": m.title,
        "link": m.link,
        "source": m.source,
        "published": iso(m.published_at),
        "matched_at": iso(m.matched_at),
        "regions": list(m.regions),
        "primary_region": m.primary_region,
        "story_id": m.story_id,
        "story_outlets": m.story_outlets,
        "terms": list(m.terms),
        "status": m.status,
    }


def feed_json(f: Feed) -> dict[str, Any]:
    return {
        "url": f.url,
        "name": f.name,
        "last_status": f.last_status,
        "last_error": f.last_error,
        "error_count": f.error_count,
        "last_fetched_at": iso(f.last_fetched_at),
        "next_check_at": iso(f.next_check_at),
        "items_seen": f.items_seen,
        "disabled_reason": f.disabled_reason,
        "health": f.health,
    }


def story_json(s: StoredStory) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "first_seen": iso(s.first_seen),
        "last_seen": iso(s.last_seen),
        "primary_region": s.primary_region,
        "outlets": list(s.outlets),
        "outlet_count": s.outlet_count,
        "updated": s.updated,
        "item_ids": list(s.item_ids),
    }


def stories_table(stories: Sequence[StoredStory]) -> Table:
    table = Table(title=f"{len(stories)} stories", expand=True)
    table.add_column("last seen", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("title", overflow="fold", min_width=24, ratio=1)
    table.add_column("outlets", overflow="fold", max_width=40)
    for s in stories:
        title = s.title + (" [yellow](updated)[/]" if s.updated else "")
        outlets = f"{s.outlet_count}: " + ", ".join(s.outlets)
        table.add_row(short_time(s.last_seen), s.primary_region or "—", title, outlets)
    return table


def short_time(value: datetime | None) -> str:
    return value.strftime("%m-%d %H:%M") if value else "—"


def matches_table(matches: Sequence[StoredMatch], title: str = "Matches") -> Table:
    table = Table(title=title, expand=True)
    table.add_column("matched", no_wrap=True)
    table.add_column("rule", overflow="fold", max_width=18)
    table.add_column("sev", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("source", overflow="fold", max_width=20)
    table.add_column("title", overflow="fold", min_width=24, ratio=1)
    table.add_column("terms", overflow="fold", max_width=20)
    for m in matches:
        table.add_row(
            short_time(m.matched_at),
            m.rule,
            "[bold red]urgent[/]" if m.severity == "urgent" else "normal",
            m.primary_region or "—",
            m.source + (f" +{m.story_outlets - 1}" if m.story_outlets > 1 else ""),
            m.title,
            ", ".join(m.terms),
        )
    return table


def feeds_table(feeds: Sequence[Feed]) -> Table:
    table = Table(title="Feeds", expand=True)
    for name in ("name", "status", "last fetch", "next check", "errors", "items", "last error"):
        table.add_column(name, overflow="fold")
    for f in feeds:
        table.add_row(
            f.name,
            _feed_status(f),
            short_time(f.last_fetched_at),
            short_time(f.next_check_at),
            str(f.error_count),
            str(f.items_seen),
            f.last_error or "",
        )
    return table


def _feed_status(f: Feed) -> str:
    """HTTP status, plus the health problem in words: disabled (why), failing, or silent."""
    if f.disabled_reason:
        return f"disabled: {f.disabled_reason}"
    status = str(f.last_status or "—")
    return f"{status} [bold yellow]{f.health}[/]" if f.health else status


def console(err: bool = False) -> Console:
    """A rich console; when not writing to a terminal, wide enough for the tables."""
    stream = sys.stderr if err else sys.stdout
    return Console(stderr=err, width=None if stream.isatty() else 160)
