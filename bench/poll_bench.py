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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import (  # noqa: E402
    FeedConfig,
    FetchSettings,
    RuleConfig,
    Settings,
    WorkerSettings,
)
from monitor.pipeline import poll_cycle  # noqa: E402
from monitor.runtime import poll_context  # noqa: E402
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


async def one_pass(settings: Settings, store: Store, urls: list[str]) -> tuple[float, float, int]:
    async with poll_context(settings, store) as ctx:
        cpu, wall = time.process_time(), time.perf_counter()
        stats = await poll_cycle(ctx, urls)
        return time.process_time() - cpu, time.perf_counter() - wall, stats.new_items


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
            from monitor.runtime import utc_now

            store.sync_feeds(settings.feeds, utc_now())
            urls = [f.url for f in settings.feeds]
            cpu, wall, new = asyncio.run(one_pass(settings, store, urls))
            print(
                f"cold pass: {new} new items, {1000 * cpu / args.feeds:.2f} ms CPU/feed, "
                f"{wall:.1f}s wall"
            )
            for n in range(args.passes):
                urllib.request.urlopen(  # noqa: S310 - loopback farm
                    urllib.request.Request(f"http://127.0.0.1:{port}/bump?fraction=0.1", b"")
                ).read()
                cpu, wall, new = asyncio.run(one_pass(settings, store, urls))
                print(
                    f"warm pass {n + 1}: {new} new items (10% feeds changed), "
                    f"{1000 * cpu / args.feeds:.2f} ms worker CPU per poll, {wall:.1f}s wall"
                )
    finally:
        farm.terminate()


if __name__ == "__main__":
    main()
