"""A loopback feed farm for benchmarks: N RSS feeds with ETags; POST /bump?fraction=F changes
a fraction of them (one new item each). Run in its own process so its CPU is not the worker's:

    python bench/feed_farm.py --feeds 1000 --port 0   (prints the port on stdout)
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WORDS = (
    "minister talks border rocket drone strike embassy parliament election protest ceasefire "
    "flood storm aid convoy refugees summit sanctions oil gas port militia army police court "
    "president vote budget inflation bank market trade deal envoy rebels capital province"
).split()


class FarmServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the worker opens up to `concurrency` connections at once


class Farm:
    def __init__(self, feeds: int, items: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.items = items
        self.versions = [0] * feeds
        self.lock = threading.Lock()
        self.bodies = [self._render(i) for i in range(feeds)]

    def _sentence(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize()

    def _render(self, feed: int) -> bytes:
        version = self.versions[feed]
        entries = []
        for k in range(self.items):
            n = version + self.items - k
            entries.append(
                f"<item><guid>f{feed}-i{n}</guid><title>{self._sentence(8)}</title>"
                f"<link>https://example.org/{feed}/{n}</link>"
                f"<description>&lt;p&gt;{self._sentence(40)}&lt;/p&gt;</description>"
                f"<pubDate>Wed, 25 Nov 2026 {n % 24:02d}:00:00 GMT</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {feed}</title><link>https://example.org/{feed}</link>"
            + "".join(entries)
            + "</channel></rss>"
        ).encode()

    def bump(self, fraction: float) -> int:
        with self.lock:
            chosen = self.rng.sample(range(len(self.versions)), int(len(self.versions) * fraction))
            for i in chosen:
                self.versions[i] += 1
                self.bodies[i] = self._render(i)
        return len(chosen)


def handler_for(farm: Farm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            idx = int(urlsplit(self.path).path.strip("/").split(".")[0].split("-")[-1])
            etag = f'"{idx}-{farm.versions[idx]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            body = farm.bodies[idx]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            changed = farm.bump(float(query.get("fraction", ["0.1"])[0]))
            body = str(changed).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=25)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = FarmServer(("127.0.0.1", args.port), handler_for(Farm(args.feeds, args.items)))
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
