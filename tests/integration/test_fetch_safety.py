"""Fetching from hostile servers on loopback: SSRF, size caps, encodings, deadlines, redirects."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from monitor.config import FetchSettings
from monitor.fetch import Fetcher
from monitor.netguard import GuardedTransport, IPAddress, public_only
from monitor.types import Feed, FetchResult
from tests.support.feed_server import FeedServer, Route, rss

BODY = rss([("a", "Title", "Summary")])


def fetch(
    url: str,
    *,
    allow_private: bool = True,
    timeout_s: float = 5.0,
    max_body: int = 1 << 20,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchResult:
    settings = FetchSettings(
        allow_private_networks=allow_private, timeout_s=timeout_s, max_body_size=max_body
    )

    async def go() -> FetchResult:
        async with Fetcher(settings, transport=transport) as fetcher:
            return await fetcher.fetch(Feed(id=1, url=url, name="t"))

    return asyncio.run(go())


def only_127_0_0_1(ip: IPAddress) -> str | None:
    return None if ip == ipaddress.ip_address("127.0.0.1") else public_only(ip)


@pytest.fixture
def second_server() -> Iterator[FeedServer]:
    server = FeedServer(host="127.0.0.2").start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "0.0.0.0", "localhost"],
)
def test_private_targets_are_refused_before_any_request(feed_server: FeedServer, host: str) -> None:
    feed_server.routes["/feed"] = Route(body=BODY)
    port = feed_server.base_url.rsplit(":", 1)[1]

    result = fetch(f"http://{host}:{port}/feed", allow_private=False)

    assert result.status is None and result.error
    assert "refused" in result.error or "not an http" in result.error or "invalid" in result.error
    assert feed_server.requests == []


def test_a_redirect_to_an_internal_host_is_refused(
    feed_server: FeedServer, second_server: FeedServer
) -> None:
    second_server.routes["/internal"] = Route(body=BODY)
    feed_server.routes["/feed"] = Route(
        status=302, headers={"Location": second_server.url("/internal")}
    )
    guarded = GuardedTransport(httpx.Limits(max_connections=4), policy=only_127_0_0_1)

    result = fetch(feed_server.url("/feed"), allow_private=False, transport=guarded)

    assert result.error and "127.0.0.2" in result.error
    assert len(feed_server.requests) == 1 and second_server.requests == []


def test_redirects_are_followed_by_hand_up_to_five_hops(feed_server: FeedServer) -> None:
    for i in range(6):
        feed_server.routes[f"/hop{i}"] = Route(status=301, headers={"Location": f"/hop{i + 1}"})
    feed_server.routes["/hop6"] = Route(body=BODY)
    feed_server.routes["/r1"] = Route(status=307, headers={"Location": "/hop5"})

    assert "more than 5 redirects" in (fetch(feed_server.url("/hop0")).error or "")
    ok = fetch(feed_server.url("/r1"))
    assert ok.status == 200 and ok.final_url == feed_server.url("/hop6")


def _gzip_zeros(size: int) -> bytes:
    """A gzip stream of `size` zero bytes, built without holding them in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    parts = [packer.compress(chunk) for _ in range(size >> 20)]
    return b"".join(parts) + packer.flush()


BOMB = _gzip_zeros(200 << 20)


def _bomb(handler: BaseHTTPRequestHandler) -> None:
    body = BOMB
    handler.send_response(200)
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_gzip_bomb_is_refused_at_the_decoded_size_cap(feed_server: FeedServer) -> None:
    feed_server.routes["/bomb"] = Route(handler=_bomb)
    tracemalloc.start()

    result = fetch(feed_server.url("/bomb"), max_body=1 << 20)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "larger than" in (result.error or "") or "exceeds" in (result.error or "")
    assert peak < 4 << 20, f"peak {peak} bytes"


def test_gzip_bodies_are_inflated(feed_server: FeedServer) -> None:
    feed_server.routes["/gz"] = Route(
        body=gzip.compress(BODY), headers={"Content-Encoding": "gzip"}
    )

    result = fetch(feed_server.url("/gz"))

    assert result.status == 200 and result.body == BODY
    assert feed_server.requests[0].headers["accept-encoding"] == "gzip"


@pytest.mark.parametrize("encoding", ["gzip, gzip", "br", "deflate", "gzip, br"])
def test_stacked_or_unrequested_encodings_are_refused(
    feed_server: FeedServer, encoding: str
) -> None:
    feed_server.routes["/enc"] = Route(
        body=gzip.compress(gzip.compress(BODY)), headers={"Content-Encoding": encoding}
    )

    result = fetch(feed_server.url("/enc"))

    assert result.body is None and "content-encoding" in (result.error or "")


def test_a_raw_body_over_the_cap_is_refused(feed_server: FeedServer) -> None:
    feed_server.routes["/big"] = Route(body=b"x" * (2 << 20))

    result = fetch(feed_server.url("/big"), max_body=1 << 20)

    assert result.body is None and "larger than" in (result.error or "")


def _trickle(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    try:
        for _ in range(1000):
            handler.wfile.write(b"<")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        return


def test_a_server_trickling_bytes_hits_the_total_deadline(feed_server: FeedServer) -> None:
    feed_server.routes["/slow"] = Route(handler=_trickle)
    started = time.monotonic()

    result = fetch(feed_server.url("/slow"), timeout_s=1.0)

    assert "timed out" in (result.error or "")
    assert time.monotonic() - started < 3.0
