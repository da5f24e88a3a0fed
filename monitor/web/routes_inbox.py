"""The inbox: matches grouped by story, filters, counts per status, triage (one row or a
selection), each change audited by the store with the logged-in analyst as actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from monitor.sanitize import strip_invisible
from monitor.types import MATCH_STATUSES
from monitor.web.deps import now, settings_of_app, store_of
from monitor.web.filters import FilterForm, to_filter
from monitor.web.security import check_csrf, page_actor, safe_next
from monitor.web.views import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
NOTE_MAX = 2000


@router.get("/matches")
def inbox(
    request: Request,
    actor: Annotated[str, Depends(page_actor)],
    rule: str = "",
    region: str = "",
    severity: str = "",
    status: str = "new",
    since: str = "",
    until: str = "",
    q: Annotated[str, Query(max_length=500)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    form = FilterForm(rule, region, severity, status, since, until, q)
    settings = settings_of_app(request)
    wanted, problems = to_filter(form, now(request), settings.regions)
    result = store_of(request).inbox(wanted, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render(request, "inbox.html.j2", {
        "form": form,
        "page": result,
        "page_number": page,
        "pages": max(1, -(-result.total // PAGE_SIZE)),
        "problems": problems,
        "rules": [r.name for r in settings.rules],
        "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    })


def parse_ids(values: list[str]) -> list[int]:
    """Checkbox values are comma-separated match ids (a story row carries all of its own)."""
    ids: list[int] = []
    for value in values:
        ids += [int(part) for part in value.split(",") if part.strip().isdigit()]
    return [i for i in ids if 0 < i < 2**62]


@router.post("/matches/triage", dependencies=[Depends(check_csrf)])
def triage(
    request: Request,
    actor: Annotated[str, Depends(page_actor)],
    ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    status: Annotated[str, Form()] = "",
    one: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
    replace_note: Annotated[bool, Form()] = False,
    back: Annotated[str, Form()] = "/matches",
) -> Response:
    """`one` = "status:id,id" (a row's own button) wins over the selection + `status`. An empty
    note leaves notes alone, unless `replace_note` (the detail page's note field) clears it."""
    if one:
        status, _, row_ids = one.partition(":")
        ids = [row_ids]
    text = strip_invisible(note).strip()
    new_note = text if (text or replace_note) else None
    chosen = status if status in MATCH_STATUSES else None
    if chosen is not None or new_note is not None:
        store_of(request).set_match_status(parse_ids(ids), chosen, new_note, actor, now(request))
    return RedirectResponse(safe_next(back), status_code=303)
