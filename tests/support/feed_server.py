"""A real HTTP server on 127.0.0.1 whose routes play feeds and hazards, for integration tests.

Each route is a `Route`: a body plus behaviour (status, headers, ETag/304 handling, delay).
Every request is recorded so tests can assert what the server saw (or that it saw nothing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay_s: float = 0.0
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-response are what hazard tests do; don't print them."""


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._httpd = _QuietServer((host, 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _record(self, path: str, headers: dict[str, str]) -> Route | None:
        with self._lock:
            self.requests.append(SeenRequest(path, headers))
            return self.routes.get(path)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                route = server._record(self.path, {k.lower(): v for k, v in self.headers.items()})
                if route is None:
                    self._send(404, b"not found", {})
                elif route.handler is not None:
                    route.handler(self)
                else:
                    self._serve(route)

            def _serve(self, route: Route) -> None:
                if route.delay_s:
                    time.sleep(route.delay_s)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self._send(304, b"", self._validators(route))
                    return
                since = self.headers.get("If-Modified-Since")
                if route.last_modified and since == route.last_modified and not route.etag:
                    self._send(304, b"", self._validators(route))
                    return
                headers = {"Content-Type": "application/rss+xml", **self._validators(route)}
                self._send(route.status, route.body, {**headers, **route.headers})

            def _validators(self, route: Route) -> dict[str, str]:
                out = {}
                if route.etag:
                    out["ETag"] = route.etag
                if route.last_modified:
                    out["Last-Modified"] = route.last_modified
                return out

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler


def rss(items: list[tuple[str, str, str]], title: str = "Test feed") -> bytes:
    """A small RSS 2.0 document from (guid, title, description) triples."""
    parts = [
        f"<item><guid>{g}</guid><title>{t}</title><link>https://example.org/{g}</link>"
        f"<description>{d}</description><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate></item>"
        for g, t, d in items
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{''.join(parts)}</channel></rss>"
    ).encode()
