"""Rendering: the Jinja2 environment (autoescape on for every template) and the helpers the
templates use to show feed text safely — highlighted terms as (text, marked) runs, links only
when http(s), feed HTML only after nh3 again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from monitor.notify.compose import country_label, highlight
from monitor.records import StoredItem
from monitor.sanitize import clean_link, sanitize_html
from monitor.types import MATCH_STATUSES, Place, TermHit
from monitor.web.security import csrf_token, session_actor, settings_of

STATUS_LABELS = {
    "new": "New",
    "acknowledged": "Acknowledged",
    "false_positive": "False positive",
    "starred": "Starred",
}
NAV = (("/matches", "Inbox"), ("/overview", "Overview"), ("/rules", "Rules"),
       ("/feeds", "Feeds"), ("/digest", "Digest"), ("/audit", "Audit"))


def marked(text: str, hits: Sequence[TermHit], field: str) -> list[tuple[str, bool]]:
    """`text` split into runs, True where a rule term matched in `field`."""
    return highlight(text, [(h.start, h.end) for h in hits if h.field == field])


def copy_hits(copy: StoredItem) -> list[TermHit]:
    """The spans of every rule that matched this copy (highlighted together)."""
    return [hit for detail in copy.matches for hit in detail.hits]


def distinct_places(places: Sequence[Place]) -> list[Place]:
    """Each place once (a name repeated in the title and the text, or in capitals, too)."""
    seen: dict[tuple[str, str], Place] = {}
    for place in places:
        seen.setdefault((place.name.casefold(), place.country), place)
    return list(seen.values())


def safe_href(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None (never javascript:, data:, …)."""
    if not url:
        return None
    cleaned = clean_link(url)
    return cleaned if cleaned and cleaned.lower().startswith(("http://", "https://")) else None


def safe_html(fragment: str) -> Markup:
    """Feed HTML (sanitised at ingest) sanitised once more before it reaches a page."""
    return Markup(sanitize_html(fragment))


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def country(code: str | None) -> str:
    return country_label(code) if code else "—"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.web", "templates"),
        autoescape=True,  # every template here is HTML, whatever its extension
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, country=country, safe_href=safe_href, safe_html=safe_html)
    env.globals.update(marked=marked, copy_hits=copy_hits, distinct_places=distinct_places,
                       STATUS_LABELS=STATUS_LABELS, STATUSES=MATCH_STATUSES, NAV=NAV)
    return env


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())


def render(
    request: Request, name: str, context: Mapping[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page with what every page shows: the CSRF token for its forms, who is logged in."""
    base = {
        "csrf": csrf_token(request),
        "actor": session_actor(request),
        "auth": settings_of(request).auth,
        "path": request.url.path,
    }
    return templates().TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
