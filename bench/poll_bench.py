"""Worker CPU per poll on the loopback pipeline.

A feed farm (bench/feed_farm.py, its own process) serves N feeds of 25 items with ETags. The
worker polls all of them once (cold: everything new), then for each pass 10 % of the feeds get
one new item and the worker polls all N again (conditional GET: 90 % answer 304). We report the
worker process's CPU time (time.process_time: user+sys of this process only) per feed polled,
for the warm passes. Real SQLite file, real rules and gazetteer, real HTTP on 127.0.0.1.

    .venv/bin/python bench/poll_bench.py [--feeds 1000] [--passes 3]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import (  # noqa: E402
    FeedConfig,
    FetchSettings,
    RuleConfig,
    Settings,
    WorkerSettings,
)
from monitor.pipeline import PollContext, poll_cycle  # noqa: E402
from monitor.runtime import poll_context, utc_now  # noqa: E402
from monitor.store import open_store  # noqa: E402
from monitor.store.base import Store  # noqa: E402

RULES = (
    RuleConfig(name="attacks", query='(rocket* OR drone*) AND (embassy OR "green zone")'),
    RuleConfig(name="talks", query='"ceasefire talks" OR (envoy NEAR/5 summit)'),
    RuleConfig(name="floods", query="flood* AND NOT (market OR bank)"),
)


def start_farm(feeds: int) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "feed_farm.py"), "--feeds", str(feeds)],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def settings_for(port: int, feeds: int, db_dir: Path) -> Settings:
    return Settings(
        path=db_dir / "bench.toml",
        fetch=FetchSettings(
            concurrency=50, per_host_concurrency=50, allow_private_networks=True, timeout_s=30
        ),
        worker=WorkerSettings(name="bench", lease_s=600),
        feeds=tuple(
            FeedConfig(url=f"http://127.0.0.1:{port}/feed-{i}.xml", name=f"Feed {i}")
            for i in range(feeds)
        ),
        rules=RULES,
    )


async def timed_pass(ctx: PollContext, urls: list[str]) -> tuple[float, float, int]:
    cpu, wall = time.process_time(), time.perf_counter()
    stats = await poll_cycle(ctx, urls)
    return time.process_time() - cpu, time.perf_counter() - wall, stats.new_items


def bump(port: int) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/bump?fraction=0.1", b"")
    urllib.request.urlopen(request).read()  # noqa: S310 - loopback farm


class Baseline:
    """The floor: bare httpx conditional GETs of the same URLs, same concurrency, no pipeline."""

    def __init__(self, concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.client = httpx.AsyncClient(limits=limits, trust_env=False)
        self.gate = asyncio.Semaphore(concurrency)
        self.etags: dict[str, str] = {}

    async def get(self, url: str) -> None:
        async with self.gate:
            headers = {"If-None-Match": self.etags[url]} if url in self.etags else {}
            response = await self.client.get(url, headers=headers)
            self.etags[url] = response.headers.get("etag", "")

    async def timed_pass(self, urls: list[str]) -> float:
        cpu = time.process_time()
        await asyncio.gather(*(self.get(u) for u in urls))
        return time.process_time() - cpu


async def run_passes(settings: Settings, store: Store, port: int, passes: int) -> None:
    """One worker context for every pass, as `monitor run` keeps one for its lifetime; each
    warm pass is paired with a bare-httpx baseline pass over the same, unchanged, feeds."""
    urls = [f.url for f in settings.feeds]
    n = len(urls)
    baseline = Baseline(settings.fetch.concurrency)
    async with poll_context(settings, store) as ctx:
        cpu, wall, new = await timed_pass(ctx, urls)
        await baseline.timed_pass(urls)
        print(f"cold pass: {new} new items, {1000 * cpu / n:.2f} ms CPU/feed, {wall:.1f}s wall")
        for i in range(passes):
            floor = await baseline.timed_pass(urls)
            await asyncio.to_thread(bump, port)
            cpu, wall, new = await timed_pass(ctx, urls)
            print(
                f"warm pass {i + 1}: {new} new items (10% of feeds changed): "
                f"{1000 * cpu / n:.2f} ms worker CPU per poll; bare httpx floor "
                f"{1000 * floor / n:.2f} ms; pipeline/floor {cpu / floor:.2f}x; {wall:.1f}s wall"
            )
    await baseline.client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    farm, port = start_farm(args.feeds)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_for(port, args.feeds, Path(tmp))
            store = open_store("sqlite:///bench.db", Path(tmp))
            store.migrate()
            store.sync_feeds(settings.feeds, utc_now())
            asyncio.run(run_passes(settings, store, port, args.passes))
    finally:
        farm.terminate()


if __name__ == "__main__":
    main()
