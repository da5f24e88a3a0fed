"""Store throughput, PostgreSQL vs SQLite, and the multi-worker scaling curve.

1. claim + complete: N due feeds; W worker processes each loop `claim_due_feeds(limit=50)`, then
   `complete_feed` per feed with one new item (every tenth with a match and an alert row), until
   nothing is due. Feeds/s = N / wall time of the slowest worker. No network: this is the
   database's share of a poll.
2. pipeline: the loopback feed farm (bench/feed_farm.py, its own process) serves N feeds of one
   item; W `monitor poll` processes share one database; feeds/s = N / wall time (process
   start-up, rule and gazetteer loading included, as when a fleet restarts).

PostgreSQL is a throw-away cluster (tests/support/postgres.py), durability off, on this machine.

    .venv/bin/python bench/store_bench.py [--feeds 3000] [--pipeline-feeds 1500]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import FeedConfig  # noqa: E402
from monitor.store import open_store  # noqa: E402
from monitor.types import Feed, FeedResult, Item, Match, NewItem, OutboxMessage  # noqa: E402
from tests.support.postgres import PgCluster, find_bindir  # noqa: E402

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
BATCH = 50


def result_for(feed: Feed) -> FeedResult:
    """One new item; every tenth feed's item matches an urgent rule and queues an alert."""
    item = Item(key=f"k{feed.id}", feed_id=feed.id, source=feed.name, title=f"Title {feed.id}",
                summary="Rockets hit the Green Zone near the embassy.", fetched_at=T0)
    hot = feed.id % 10 == 0
    matches = (Match("attacks", "urgent", ("rocket*",)),) if hot else ()
    outbox = (OutboxMessage("alert", "duty@example.org", f"alert:{feed.id}", {"rule": "attacks"}),
              ) if hot else ()
    return FeedResult(
        feed_id=feed.id, lease_token=feed.lease_token or "", checked_at=T0,
        next_check_at=T0 + timedelta(minutes=10), status=200, error=None, error_count=0,
        etag='"v1"', last_modified=None, items=(NewItem(item, matches),), outbox=outbox,
    )


def claim_loop(
    url: str, base: str, owner: str, start: EventType, done: mp.Queue[tuple[int, float]]
) -> None:
    store = open_store(url, Path(base))
    start.wait()
    began, count = time.perf_counter(), 0
    while feeds := store.claim_due_feeds(T0, owner, 120, BATCH):
        for feed in feeds:
            count += store.complete_feed(result_for(feed), owner)
    done.put((count, time.perf_counter() - began))
    store.close()


def claim_complete(url: str, base: str, feeds: int, workers: int) -> float:
    store = open_store(url, Path(base))
    store.migrate()
    store.sync_feeds([FeedConfig(url=f"https://f{i}.example/rss", name=f"F{i}")
                      for i in range(feeds)], T0)
    store.close()
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    done: mp.Queue[tuple[int, float]] = ctx.Queue()
    procs = [ctx.Process(target=claim_loop, args=(url, base, f"w{n}", start, done))
             for n in range(workers)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # every worker connected and waiting
    start.set()
    results = [done.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    assert sum(n for n, _ in results) == feeds, results
    return feeds / max(float(wall) for _, wall in results)


def pipeline(url: str, feeds: int, workers: int, tmp: Path) -> float:
    farm = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "feed_farm.py"), "--feeds", str(feeds),
         "--items", "1"], stdout=subprocess.PIPE)
    assert farm.stdout is not None
    port = int(farm.stdout.readline())
    try:
        urls = [f"http://127.0.0.1:{port}/feed-{i}.xml" for i in range(feeds)]
        config = tmp / "bench.toml"
        config.write_text(
            '[fetch]\nconcurrency = 50\nper_host_concurrency = 50\n'
            'allow_private_networks = true\n'
            + "".join(f'[[feeds]]\nurl = "{u}"\nname = "F{i}"\n' for i, u in enumerate(urls)))
        store = open_store(url)
        store.migrate()
        store.sync_feeds([FeedConfig(url=u, name=f"F{i}") for i, u in enumerate(urls)],
                         datetime.now(UTC) - timedelta(seconds=1))
        store.close()
        env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_CONFIG": str(config)}
        began = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "monitor", "poll"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL) for _ in range(workers)]
        for p in procs:
            p.wait()
        return feeds / (time.perf_counter() - began)
    finally:
        farm.terminate()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=3000)
    parser.add_argument("--pipeline-feeds", type=int, default=1500)
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL server binaries not found (make system-deps)")
    cluster = PgCluster(bindir).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"claim + complete, {args.feeds} feeds (feeds/s):")
            for workers in (1, 2, 3):
                lite = f"sqlite:///lite-{workers}.db"
                pg = cluster.reset_database("bench")
                lite_rate = claim_complete(lite, tmp, args.feeds, workers)
                pg_rate = claim_complete(pg, tmp, args.feeds, workers)
                print(f"  {workers} worker(s): SQLite {lite_rate:7.0f}   PostgreSQL {pg_rate:7.0f}")
            print(f"pipeline, {args.pipeline_feeds} loopback feeds (feeds/s):")
            for workers in (1, 2, 3):
                lite = f"sqlite:///{tmp}/pipeline-{workers}.db"
                lite_rate = pipeline(lite, args.pipeline_feeds, workers, Path(tmp))
                pg = cluster.reset_database("pipeline")
                pg_rate = pipeline(pg, args.pipeline_feeds, workers, Path(tmp))
                print(f"  {workers} worker(s): SQLite {lite_rate:7.1f}   PostgreSQL {pg_rate:7.1f}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
