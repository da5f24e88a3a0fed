"""The JSON API under /api (schema at /api/openapi.json). Authentication: a bearer token
(`MONITOR_API_TOKEN`) or the web session (then PATCH/POST also need `X-CSRF-Token`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from monitor.errors import RuleError
from monitor.records import StoryDetail
from monitor.sanitize import strip_invisible
from monitor.web.api_models import (
    FeedOut,
    MatchList,
    MatchOut,
    MatchPatch,
    RuleHit,
    RuleTest,
    RuleTestOut,
    StoryOut,
    audit_out,
    detail_out,
    item_out,
    match_out,
    spans,
)
from monitor.web.deps import now, settings_of_app, store_of
from monitor.web.filters import FilterForm, to_filter
from monitor.web.queries import run_backtest
from monitor.web.routes_feeds import feed_state
from monitor.web.security import api_actor

router = APIRouter(prefix="/api", tags=["api"])
Id = Annotated[int, Path(ge=1, le=2**62)]
Actor = Annotated[str, Depends(api_actor)]
Text = Annotated[str, Query(max_length=200)]


@router.get("/matches", response_model=MatchList)
def list_matches(
    request: Request,
    actor: Actor,
    rule: Text = "",
    region: Text = "",
    severity: Text = "",
    status: Annotated[str, Query(max_length=200, description='a status, or "all"')] = "all",
    since: Annotated[str, Query(max_length=40, description='YYYY-MM-DD or "7d"')] = "",
    until: Annotated[str, Query(max_length=40, description="YYYY-MM-DD (inclusive)")] = "",
    q: Text = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> MatchList:
    """Matches, newest first, one per (item, rule), with the same filters as the inbox."""
    form = FilterForm(rule, region, severity, status, since, until, strip_invisible(q))
    wanted, problems = to_filter(form, now(request), settings_of_app(request).regions)
    if problems:
        raise HTTPException(422, problems)
    page = store_of(request).search_matches(wanted, limit, offset)
    following = offset + len(page.matches)
    return MatchList(items=[match_out(m) for m in page.matches], total=page.total, limit=limit,
                     offset=offset, next_offset=following if following < page.total else None)


@router.get("/matches/{match_id}", response_model=MatchOut)
def get_match(request: Request, match_id: Id, actor: Actor) -> MatchOut:
    found = store_of(request).match_detail(match_id)
    if found is None:
        raise HTTPException(404, f"no match {match_id}")
    return detail_out(found)


@router.patch("/matches/{match_id}", response_model=MatchOut)
def patch_match(request: Request, match_id: Id, change: MatchPatch, actor: Actor) -> MatchOut:
    """Set the status and/or the note; the change is written to the audit log."""
    store = store_of(request)
    if store.match_detail(match_id) is None:
        raise HTTPException(404, f"no match {match_id}")
    note = None if change.note is None else strip_invisible(change.note)
    store.set_match_status([match_id], change.status, note, actor, now(request))
    return get_match(request, match_id, actor)


def story_out(detail: StoryDetail) -> StoryOut:
    story = detail.story
    first = detail.copies[0].item if detail.copies else None
    return StoryOut(
        id=story.id if story else None,
        title=story.title if story else (first.title if first else ""),
        first_seen=story.first_seen if story else None,
        last_seen=story.last_seen if story else None,
        primary_region=story.primary_region if story else (first.geo.primary if first else None),
        outlets=list(story.outlets) if story else [c.item.source for c in detail.copies],
        outlet_count=story.outlet_count if story else 1,
        items=[item_out(c) for c in detail.copies],
        audit=[audit_out(a) for a in detail.audit],
    )


@router.get("/stories/{story_id}", response_model=StoryOut)
def get_story(request: Request, story_id: Id, actor: Actor) -> StoryOut:
    """A story: every outlet's copy with its matches and places, and the triage history."""
    detail = store_of(request).story_detail(story_id)
    if detail is None:
        raise HTTPException(404, f"no story {story_id}")
    return story_out(detail)


@router.post("/rules/test", response_model=RuleTestOut)
def test_rule(request: Request, test: RuleTest, actor: Actor) -> RuleTestOut:
    """Backtest a query against stored items (the same engine as `monitor rules test`).
    A bad query is a 422 with the message and the position."""
    query = strip_invisible(test.query)
    try:
        result = run_backtest(
            store_of(request), settings_of_app(request), query, now=now(request),
            days=test.days, regions=[strip_invisible(r) for r in test.regions],
            where=test.where, limit=test.limit,
        )
    except RuleError as e:
        raise HTTPException(422, {"message": e.message, "position": e.position}) from e
    hits = [RuleHit(id=h.item.key, title=h.item.title, source=h.item.source, link=h.item.link,
                    published=h.item.published_at, terms=list(h.terms),
                    regions=list(h.regions), spans=spans(h.hits)) for h in result.hits]
    return RuleTestOut(scanned=result.scanned, truncated=result.truncated, hits=hits)


@router.get("/feeds", response_model=list[FeedOut])
def list_feeds(request: Request, actor: Actor) -> list[FeedOut]:
    moment = now(request)
    return [
        FeedOut(id=f.id, url=f.url, name=f.name, state=feed_state(f, moment),
                last_status=f.last_status, last_error=f.last_error, error_count=f.error_count,
                last_fetched_at=f.last_fetched_at, next_check_at=f.next_check_at,
                items_seen=f.items_seen, disabled_reason=f.disabled_reason)
        for f in store_of(request).list_feeds()
    ]
