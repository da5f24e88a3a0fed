"""Who may use the web UI and API, and the headers every response carries.

- Pages: a login with the shared password (`MONITOR_WEB_PASSWORD`) and the analyst's name (the
  "who" of the audit log), kept in a signed session cookie: HttpOnly, SameSite=Lax, Secure when
  `web.base_url` is https. `web.auth = "none"` (loopback only, checked by the config) skips it.
- API: `Authorization: Bearer <MONITOR_API_TOKEN>`, or the session (then unsafe methods also need
  the `X-CSRF-Token` header).
- Every POST form carries the session's CSRF token (`csrf` field), compared in constant time.
- Every response gets a strict Content-Security-Policy (no inline script or style anywhere) and
  the usual hardening headers. Chart and e-mail preview documents, shown in frames of our own
  pages, get a policy that allows their inline styles but still no script.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from monitor.config import WebSettings
from monitor.config_validate import is_loopback_host
from monitor.errors import ConfigError

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# For SVG charts and the digest preview: their own inline styles, nothing else, framed by us.
FRAMED_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000"
SESSION_COOKIE = "monitor_session"
SESSION_MAX_AGE_S = 12 * 3600
LOCAL_ACTOR = "local"
API_ACTOR = "api"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page asked for without a session: the handler sends the browser to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Forbidden(Exception):
    """A form without a valid CSRF token, or an API call without valid credentials."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_startable(web: WebSettings) -> None:
    """Refuse to serve without a password, unless bound to loopback with auth = "none"."""
    if web.auth == "none":
        if not is_loopback_host(web.host):
            raise ConfigError(['web.auth: "none" is only allowed on a loopback web.host'])
        return
    if not web.password:
        raise ConfigError([
            "web: no password: set MONITOR_WEB_PASSWORD (or MONITOR_WEB_PASSWORD_FILE), or bind "
            'web.host to a loopback address with web.auth = "none" (`monitor run --no-web` '
            "runs the worker without the web UI)"
        ])


def secure_cookies(web: WebSettings) -> bool:
    return web.base_url.lower().startswith("https://")


def new_session_secret() -> str:
    """Sessions are signed with a per-process key: a restart logs everyone out."""
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def settings_of(request: Request) -> WebSettings:
    web: WebSettings = request.app.state.settings.web
    return web


def session_actor(request: Request) -> str | None:
    actor = request.session.get("actor")
    return actor if isinstance(actor, str) and actor else None


def page_actor(request: Request) -> str:
    """Dependency of every page: who is looking (or a redirect to the login page)."""
    if settings_of(request).auth == "none":
        return LOCAL_ACTOR
    actor = session_actor(request)
    if actor is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return actor


async def check_csrf(request: Request) -> None:
    """Dependency of every POST form."""
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not same(sent, csrf_token(request)):
        raise Forbidden(403, "the form expired or did not come from this site; reload and retry")


def api_actor(request: Request) -> str:
    """Dependency of every API route: the bearer token, the session, or auth = "none"."""
    web = settings_of(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and web.api_token and same(token.strip(), web.api_token):
            return API_ACTOR
        raise Forbidden(401, "invalid bearer token")
    if web.auth == "none":
        return LOCAL_ACTOR
    actor = session_actor(request)
    if actor is None:
        raise Forbidden(401, "authentication required: a bearer token or a session")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not same(sent, csrf_token(request)):
            raise Forbidden(403, "X-CSRF-Token header missing or wrong")
    return actor


def check_password(web: WebSettings, password: str) -> bool:
    return bool(web.password) and same(password, web.password)


def safe_next(path: str | None) -> str:
    """Only same-site absolute paths ("/matches?x"): never "//host", a URL, a backslash, or
    whitespace and controls (browsers drop tabs and newlines: "/\t/host" is "//host")."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return "/"
    if any(c == "\\" or ord(c) < 33 or ord(c) == 127 for c in path):
        return "/"
    return path


def forbidden_response(exc: Forbidden) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)


Call = Callable[[Request], Awaitable[Response]]


async def security_headers(request: Request, call_next: Call) -> Response:
    """Middleware: the hardening headers; a response that set its own CSP (framed documents)
    keeps it and may be framed by our pages."""
    response = await call_next(request)
    framed = "content-security-policy" in response.headers
    response.headers.setdefault("Content-Security-Policy", CSP)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if framed:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    if secure_cookies(settings_of(request)):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.url.path.startswith(("/api/", "/login")) or request.method != "GET":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
