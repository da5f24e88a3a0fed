"""Feeds: a health table (status, last error in words, next check, items, silent/disabled) and
"poll now", which makes the feed due at once — the worker polls it on its next tick."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from monitor import schedule
from monitor.types import Feed
from monitor.web.deps import now, store_of
from monitor.web.security import check_csrf, page_actor
from monitor.web.views import render

router = APIRouter(include_in_schema=False)
STATE_ORDER = {"failing": 0, "disabled": 1, "silent": 2, "new": 3, "ok": 4}


def feed_state(feed: Feed, moment: datetime) -> str:
    """disabled · failing · silent · ok · new (never fetched)."""
    if feed.disabled_reason:
        return "disabled"
    if feed.error_count:
        return "failing"
    if feed.health == "silent" or schedule.is_silent(
        moment, feed.last_new_item_at, feed.typical_gap_s
    ):
        return "silent"
    return "ok" if feed.last_fetched_at else "new"


@router.get("/feeds")
def feeds(
    request: Request,
    actor: Annotated[str, Depends(page_actor)],
    polled: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Problems first: failing, disabled, silent, never fetched, then the healthy ones."""
    moment = now(request)
    rows = [(f, feed_state(f, moment)) for f in store_of(request).list_feeds()]
    rows.sort(key=lambda pair: STATE_ORDER[pair[1]])
    return render(request, "feeds.html.j2", {"rows": rows, "polled": polled})


@router.post("/feeds/{feed_id}/poll", dependencies=[Depends(check_csrf)])
def poll_now(
    request: Request,
    feed_id: Annotated[int, Path(ge=1, le=2**62)],
    actor: Annotated[str, Depends(page_actor)],
) -> Response:
    if not store_of(request).request_poll(feed_id, actor, now(request)):
        raise HTTPException(404, f"no feed {feed_id}")
    return RedirectResponse(f"/feeds?polled={feed_id}", status_code=303)
