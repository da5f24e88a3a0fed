"""HTTP fetching: the only module that imports httpx.

One `Fetcher` per worker holds a small AsyncClient and the concurrency limits (global and per
host). `Fetcher.fetch(feed)` never raises for a feed's fault: connection errors, timeouts, HTTP
errors and oversized bodies come back as a `FetchResult` with `error` set, because a failing feed
is data. Redirects are followed by hand so every hop can be checked; bodies are read raw and
inflated here with a cap on decoded bytes, and the whole fetch runs under one wall-clock deadline.
"""

from __future__ import annotations

import asyncio
import base64
import time
import zlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import FeedConfig, FetchSettings
from monitor.errors import FetchError
from monitor.netguard import GuardedTransport
from monitor.types import Feed, FetchResult

MAX_REDIRECTS = 5
MAX_URL_LENGTH = 2048
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class BodyTooLarge(FetchError):
    pass


class Fetcher:
    """Fetches feeds politely: bounded concurrency, conditional GET, one deadline per fetch."""

    def __init__(
        self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        # Keep every connection we may open alive: loopback-fast feeds otherwise pay a TCP
        # handshake per poll. One small pool per worker (encode/httpx#3215: huge pools scale badly).
        pool = min(settings.concurrency, 100)
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
        self._client = httpx.AsyncClient(
            transport=transport or _default_transport(settings, limits),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout_s),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip"},
        )
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency)
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self, feed: Feed, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        """Fetch `feed.target_url`; `headers` (credentials, extra headers) go to its origin only."""
        host = urlsplit(feed.target_url).hostname or ""
        async with self._global, self._per_host[host]:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    result = await self._follow(feed, conditional, headers or {})
            except TimeoutError:
                result = _failure(feed.url, f"timed out after {self.settings.timeout_s:g}s")
            except httpx.HTTPError as e:
                result = _failure(feed.url, _describe_http_error(e))
            except FetchError as e:
                result = _failure(feed.url, str(e))
            return _with_elapsed(result, time.monotonic() - started)

    async def _follow(self, feed: Feed, conditional: bool, extra: Mapping[str, str]) -> FetchResult:
        url = feed.target_url
        origin = _origin(url)
        permanent = True
        for _hop in range(MAX_REDIRECTS + 1):
            _check_url(url)
            headers = {**(extra if _origin(url) == origin else {})}
            if conditional:
                headers.update(_conditional_headers(feed))
            request = self._client.build_request("GET", url, headers=headers)
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code not in REDIRECT_STATUSES:
                    result = await self._finish(feed.url, url, response)
                    return replace(result, permanent_redirect=permanent and url != feed.target_url)
                location = response.headers.get("location")
            finally:
                await response.aclose()
            if not location:
                raise FetchError(f"HTTP {response.status_code} redirect without a Location")
            permanent = permanent and response.status_code in (301, 308)
            url = urljoin(url, location)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    async def _finish(self, feed_url: str, final_url: str, response: httpx.Response) -> FetchResult:
        status = response.status_code
        body = await _read_body(response, self.settings.max_body_size) if status == 200 else None
        return FetchResult(
            url=feed_url,
            status=status,
            body=body,
            headers=dict(response.headers),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            final_url=final_url,
            error=None if status in (200, 304) else _describe_status(response),
        )


def _default_transport(settings: FetchSettings, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    if settings.allow_private_networks:
        return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    return GuardedTransport(limits)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def request_headers(feed: FeedConfig) -> dict[str, str]:
    """A configured feed's extra headers and credentials (secrets resolved at config load)."""
    headers = dict(feed.headers)
    auth = feed.auth
    if auth is not None and auth.kind == "bearer":
        headers["Authorization"] = f"Bearer {auth.secret}"
    elif auth is not None and auth.kind == "basic":
        token = base64.b64encode(f"{auth.username}:{auth.secret}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


def _conditional_headers(feed: Feed) -> dict[str, str]:
    headers: dict[str, str] = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    return headers


def _check_url(url: str) -> None:
    if len(url) > MAX_URL_LENGTH:
        raise FetchError(f"URL longer than {MAX_URL_LENGTH} characters")
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) URL: {url[:200]}")


async def _read_body(response: httpx.Response, cap: int) -> bytes:
    """Read the raw bytes and inflate gzip ourselves, refusing more than `cap` bytes either way."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise FetchError(f"refused content-encoding {encoding!r} (only gzip was requested)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
    raw_size = 0
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        raw_size += len(chunk)
        if raw_size > cap:
            raise BodyTooLarge(f"body larger than {cap} bytes")
        data = _inflate(inflater, chunk, cap - size) if inflater else chunk
        size += len(data)
        if size > cap:
            raise BodyTooLarge(f"body larger than {cap} bytes")
        parts.append(data)
    return b"".join(parts)


def _inflate(inflater: zlib._Decompress, chunk: bytes, room: int) -> bytes:
    try:
        data = inflater.decompress(chunk, room + 1)
    except zlib.error as e:
        raise FetchError(f"corrupt gzip body: {e}") from e
    if inflater.unconsumed_tail:
        raise BodyTooLarge("decoded body exceeds the size cap")
    return data


def _describe_status(response: httpx.Response) -> str:
    reason = response.reason_phrase or "error"
    return f"HTTP {response.status_code} {reason}"


def _describe_http_error(e: httpx.HTTPError) -> str:
    if isinstance(e, httpx.TimeoutException):
        return "timed out"
    if isinstance(e, httpx.ConnectError):
        return f"connection failed: {e}" if str(e) else "connection failed"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _failure(url: str, error: str) -> FetchResult:
    return FetchResult(url=url, status=None, error=error)


def _with_elapsed(result: FetchResult, elapsed: float) -> FetchResult:
    return replace(result, elapsed_s=elapsed)


def fetch_url(url: str, settings: FetchSettings) -> FetchResult:
    """Fetch one URL unconditionally (CLI helper: `monitor parse URL`)."""

    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(Feed(id=0, url=url, name=url), conditional=False)

    return asyncio.run(run())
