"""A story (or a single match's item): every outlet's copy with highlighted terms, why it matched,
places, the sanitised summary, the timeline, triage forms and the audit history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from monitor.records import StoryDetail
from monitor.web.deps import settings_of_app, store_of
from monitor.web.security import page_actor
from monitor.web.views import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]


def _page(request: Request, detail: StoryDetail, focus: int | None) -> Response:
    queries = {r.name: r.query for r in settings_of_app(request).rules}
    title = detail.story.title if detail.story else detail.copies[0].item.title
    return render(request, "story.html.j2", {
        "detail": detail, "title": title, "focus": focus, "queries": queries,
        "back": request.url.path,
    })


@router.get("/stories/{story_id}")
def story(request: Request, story_id: Id, actor: Annotated[str, Depends(page_actor)]) -> Response:
    detail = store_of(request).story_detail(story_id)
    if detail is None:
        raise HTTPException(404, f"no story {story_id}")
    return _page(request, detail, None)


@router.get("/matches/{match_id}")
def match(request: Request, match_id: Id, actor: Annotated[str, Depends(page_actor)]) -> Response:
    store = store_of(request)
    found = store.match_detail(match_id)
    if found is None:
        raise HTTPException(404, f"no match {match_id}")
    sid = found.match.story_id
    detail = store.story_detail(sid) if sid is not None else None
    detail = detail or store.item_detail(found.match.item_id)
    if detail is None:
        raise HTTPException(404, f"no item for match {match_id}")
    return _page(request, detail, match_id)


@router.get("/items/{item_id}")
def item(request: Request, item_id: Id, actor: Annotated[str, Depends(page_actor)]) -> Response:
    detail = store_of(request).item_detail(item_id)
    if detail is None:
        raise HTTPException(404, f"no item {item_id}")
    return _page(request, detail, None)
