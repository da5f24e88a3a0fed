"""Overview (world map + matches per day by country and by rule), digest preview, audit log.

Charts and the e-mail preview are documents of their own, shown in frames of these pages with a
policy that allows their inline styles and nothing else (see `security.FRAMED_CSP`)."""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from monitor import schedule
from monitor.config import RegionConfig
from monitor.web import charts
from monitor.web.deps import now, settings_of_app, store_of
from monitor.web.queries import digest_preview
from monitor.web.security import FRAMED_CSP, page_actor
from monitor.web.views import country, render

router = APIRouter(include_in_schema=False)
WINDOWS = {"24h": 1, "7d": 7, "30d": 30}
Window = Literal["24h", "7d", "30d"]
Actor = Annotated[str, Depends(page_actor)]
DAILY_DAYS = 30
GZIP_MIN = 4096


def _framed(request: Request, body: str, media_type: str) -> Response:
    """A document for our frames; SVG maps are large (~0.8 MB) and compress ~5x. (Only these
    are compressed: they hold no secret, so compression cannot leak one.)"""
    headers = {"Content-Security-Policy": FRAMED_CSP, "Vary": "Accept-Encoding"}
    data = body.encode("utf-8")
    if len(data) > GZIP_MIN and "gzip" in request.headers.get("accept-encoding", ""):
        data = gzip.compress(data, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=media_type, headers=headers)


def _inbox(**fields: str) -> str:
    return "/matches?" + urlencode({"status": "all", **fields})


@router.get("/overview")
def overview(request: Request, actor: Actor, window: Window = "7d") -> Response:
    counts = store_of(request).country_counts(now(request) - timedelta(days=WINDOWS[window]))
    return render(request, "overview.html.j2", {
        "window": window, "windows": list(WINDOWS), "counts": counts,
        "regions": bool(settings_of_app(request).regions),
        "links": {code: _inbox(region=code, since=window) for code in counts},
    })


@router.get("/charts/world.svg")
def world_svg(request: Request, actor: Actor, window: Window = "7d") -> Response:
    counts = store_of(request).country_counts(now(request) - timedelta(days=WINDOWS[window]))
    names = {code: country(code) for code in counts}
    svg = charts.world_map(counts, names, lambda code: _inbox(region=code, since=window))
    return _framed(request, svg, "image/svg+xml")


def _days(end: datetime, count: int) -> list[str]:
    last = end.date()
    return [(last - timedelta(days=count - 1 - i)).isoformat() for i in range(count)]


def by_region(
    per_country: Mapping[str, Mapping[str, int]], regions: Sequence[RegionConfig]
) -> dict[str, dict[str, int]]:
    """Per-day counts of countries summed into the configured regions."""
    summed: dict[str, dict[str, int]] = {}
    for region in regions:
        days = summed.setdefault(region.name, {})
        for code in {c.upper() for c in region.countries}:
            for day, n in per_country.get(code, {}).items():
                days[day] = days.get(day, 0) + n
    return summed


@router.get("/charts/daily-{by}.svg")
def daily_svg(
    request: Request, by: Literal["rule", "country", "region"], actor: Actor
) -> Response:
    moment = now(request)
    days = _days(moment, DAILY_DAYS)
    since = datetime.fromisoformat(days[0]).replace(tzinfo=moment.tzinfo)
    series = store_of(request).daily_counts(since, "rule" if by == "rule" else "country")
    if by == "region":
        series = by_region(series, settings_of_app(request).regions)
    field = "rule" if by == "rule" else "region"

    def link(key: str, day: str) -> str:
        return _inbox(**{field: key}, since=day, until=day)

    title = f"Matches per day by {by} (UTC, last {DAILY_DAYS} days)"
    return _framed(request, charts.daily_bars(series, days, link, title), "image/svg+xml")


def _day(text: str, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise HTTPException(422, f"date: {text!r} is not YYYY-MM-DD") from e


@router.get("/digest")
def digest_page(
    request: Request, actor: Actor, recipient: Annotated[str, Query(max_length=320)] = "",
    day: Annotated[str, Query(max_length=10, alias="date")] = "",
) -> Response:
    settings = settings_of_app(request)
    moment = now(request)
    chosen = recipient or (settings.digest.recipients[0] if settings.digest.recipients else "")
    when = _day(day, schedule.local_day(moment, settings.digest.timezone))
    preview = digest_preview(store_of(request), settings, chosen, when, moment) if chosen else None
    return render(request, "digest.html.j2", {
        "recipients": settings.digest.recipients, "recipient": chosen, "day": when.isoformat(),
        "preview": preview, "frame": "/digest/preview.html?" + urlencode(
            {"recipient": chosen, "date": when.isoformat()}),
    })


@router.get("/digest/preview.html")
def digest_html(
    request: Request, actor: Actor, recipient: Annotated[str, Query(max_length=320)] = "",
    day: Annotated[str, Query(max_length=10, alias="date")] = "",
) -> Response:
    settings = settings_of_app(request)
    moment = now(request)
    when = _day(day, schedule.local_day(moment, settings.digest.timezone))
    preview = digest_preview(store_of(request), settings, recipient, when, moment)
    return _framed(request, preview.html, "text/html")


@router.get("/audit")
def audit(request: Request, actor: Actor) -> Response:
    return render(request, "audit.html.j2", {"entries": store_of(request).recent_audit(200)})
