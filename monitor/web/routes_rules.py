"""Rules: each configured rule with its hit counts over 1/7/30 days, and a "test a query" form
that backtests against stored items (the same function as `monitor rules test`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from monitor.errors import RuleError
from monitor.web.deps import now, settings_of_app, store_of
from monitor.web.queries import run_backtest
from monitor.web.security import page_actor
from monitor.web.views import render

router = APIRouter(include_in_schema=False)
QUERY_MAX = 2000


@router.get("/rules")
def rules(
    request: Request,
    actor: Annotated[str, Depends(page_actor)],
    q: Annotated[str, Query(max_length=QUERY_MAX)] = "",
    days: Annotated[int, Query(ge=1, le=365)] = 7,
    regions: Annotated[str, Query(max_length=500)] = "",
    where: str = "happened",
) -> Response:
    settings = settings_of_app(request)
    moment = now(request)
    context = {
        "rules": settings.rules,
        "counts": store_of(request).rule_hit_counts(moment),
        "q": q, "days": days, "regions": regions,
        "where": where if where in ("happened", "mentioned") else "happened",
        "result": None, "error": None,
    }
    if q.strip():
        region_list = [r.strip() for r in regions.split(",") if r.strip()]
        try:
            context["result"] = run_backtest(
                store_of(request), settings, q, now=moment, days=days, regions=region_list,
                where="mentioned" if where == "mentioned" else "happened",
            )
        except RuleError as e:
            context["error"] = e
    return render(request, "rules.html.j2", context)
