"""`create_app(settings, store_factory)`: the FastAPI app — pages, API, security, static files.

The store is opened when the app starts (lifespan) and closed when it stops; handlers are sync
functions (FastAPI runs them in its thread pool) over the thread-safe store. `serve()` runs the
app with uvicorn inside an already running event loop (beside the worker in `monitor run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from monitor.config import Settings
from monitor.runtime import utc_now
from monitor.store.base import Store
from monitor.web import (
    metrics,
    routes_api,
    routes_detail,
    routes_feeds,
    routes_inbox,
    routes_overview,
    routes_rules,
    routes_session,
)
from monitor.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    Forbidden,
    LoginRequired,
    check_startable,
    forbidden_response,
    new_session_secret,
    secure_cookies,
    security_headers,
)
from monitor.web.views import render

StoreFactory = Callable[[], Store]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
ROUTERS = (routes_session, routes_inbox, routes_detail, routes_rules, routes_feeds,
           routes_overview, routes_api, metrics)


def default_store_factory(settings: Settings) -> StoreFactory:
    def factory() -> Store:
        from monitor.store import open_store

        base = settings.path.parent if settings.path else Path.cwd()
        store = open_store(settings.database.url, base)
        store.migrate()
        return store

    return factory


def create_app(
    settings: Settings,
    store_factory: StoreFactory | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """Raises ConfigError when the UI may not start (no password and not loopback + "none")."""
    check_startable(settings.web)
    factory = store_factory or default_store_factory(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = factory()
        try:
            yield
        finally:
            app.state.store.close()

    app = FastAPI(title="monitor", version="0.1", summary="Review matches of news feed rules",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock
    app.add_middleware(
        SessionMiddleware, secret_key=new_session_secret(), session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S, same_site="lax", https_only=secure_cookies(settings.web),
    )
    app.middleware("http")(security_headers)
    if settings.web.auth == "none":
        # No login on loopback: refuse other Host names, so DNS rebinding cannot reach the UI.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK_HOSTS))
    app.mount("/static", StaticFiles(packages=[("monitor.web", "static")]), name="static")
    _add_exception_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    return app


def _add_exception_handlers(app: FastAPI) -> None:
    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/login?next={_quoted(exc.next_path)}", status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Forbidden)
        if request.url.path.startswith("/api/"):
            return forbidden_response(exc)
        context = {"title": "Not allowed", "message": exc.message}
        return render(request, "error.html.j2", context, status_code=exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith(("/api/", "/static/", "/metrics", "/healthz")):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=exc.headers)
        context = {"title": f"Error {exc.status_code}", "message": str(exc.detail)}
        return render(request, "error.html.j2", context, status_code=exc.status_code)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(HTTPException, http_error)


def _quoted(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port), so the caller knows the address first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside a host that owns the signals (the worker): stopped through `stop()`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        self.should_exit = True


def embedded_server(app: FastAPI) -> EmbeddedServer:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    return EmbeddedServer(config)


async def serve(app: FastAPI, sock: socket.socket, stopping: asyncio.Event) -> None:
    """Serve on `sock` until `stopping` is set (requests in flight finish first)."""
    server = embedded_server(app)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stop = asyncio.create_task(stopping.wait())
    await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    server.stop()
    stop.cancel()
    await task
