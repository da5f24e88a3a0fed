"""Log in and out; `/` goes to the inbox."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from monitor.web.security import (
    check_csrf,
    check_password,
    safe_next,
    settings_of,
)
from monitor.web.views import render

router = APIRouter(include_in_schema=False)
NAME_MAX = 60
FAILED_LOGIN_DELAY_S = 0.5


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/matches", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if settings_of(request).auth == "none":
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html.j2", {"next": safe_next(next), "error": "", "name": ""})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    who = " ".join(name.split())[:NAME_MAX]
    if not who or not check_password(settings_of(request), password):
        time.sleep(FAILED_LOGIN_DELAY_S)  # slows guessing; runs in the thread pool
        context = {"next": safe_next(next), "error": "Wrong name or password.", "name": who}
        return render(request, "login.html.j2", context, status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) after logging in
    request.session["actor"] = who
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
