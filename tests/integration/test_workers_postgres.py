"""Many workers on one PostgreSQL: real worker processes (`monitor poll` / `monitor run`), a
real loopback feed server, a real SMTP server (aiosmtpd), a throw-away PostgreSQL cluster.

The database is the only coordinator: these tests check that sharing it never polls a feed
twice in a cycle, never stores or emails anything twice, drops a stalled worker's late results,
and hands a dead worker's feeds to the others once its leases run out.
"""

from __future__ import annotations

import json
import os
import random
import signal
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.config import FeedConfig
from monitor.notify import deliver_due
from monitor.store.postgres import PostgresStore
from monitor.store.sqlite import SqliteStore
from tests.support.feed_server import FeedServer, Route
from tests.support.mail import T0, SmtpSink, mail_settings, store_items, story_item

ROOT = Path(__file__).resolve().parents[2]
RULE = '(rocket* OR drone*) AND NOT (football OR match)'


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """The loopback feed server with a deep accept queue: three workers open up to 150
    connections at once, and the default backlog of 5 would drop their SYNs (1 s retries)."""
    server = FeedServer()
    server._httpd.socket.listen(1024)
    yield server.start()
    server.stop()


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_url)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def words(rng: random.Random, n: int) -> str:
    """Made-up words: unique text per item, so no two items make one story."""
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(n))


def rss_now(guid: str, title: str, text: str) -> bytes:
    published = format_datetime(datetime.now(UTC), usegmt=True)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://example.org/</link><item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://example.org/{guid}</link><description>{text}</description>"
        f"<pubDate>{published}</pubDate></item></channel></rss>"
    ).encode()


def write_config(tmp_path: Path, urls: list[str], smtp_port: int, *, lease: str = "2m",
                 timeout: str = "30s", tick: str = "1s", concurrency: int = 50) -> Path:
    feeds = "".join(f'[[feeds]]\nurl = "{u}"\nname = "Feed {i}"\n\n' for i, u in enumerate(urls))
    path = tmp_path / "monitor.toml"
    path.write_text(
        f'[fetch]\ninterval = "10m"\ntimeout = "{timeout}"\nconcurrency = {concurrency}\n'
        f"per_host_concurrency = {concurrency}\nallow_private_networks = true\n\n"
        f'[worker]\ntick = "{tick}"\nlease = "{lease}"\n\n'
        f'[email]\nfrom = "monitor@example.org"\nsmtp_host = "127.0.0.1"\n'
        f"smtp_port = {smtp_port}\nmax_per_hour = 1000\n\n"
        f'[[rules]]\nname = "iraq-attacks"\nquery = \'{RULE}\'\nseverity = "urgent"\n'
        f'recipients = ["duty@example.org"]\n\n{feeds}'
    )
    return path


def monitor(config: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_CONFIG": str(config)}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *args], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def sync(store: PostgresStore, urls: list[str]) -> None:
    """The feeds, as a worker syncing the config would leave them: all due now."""
    configs = [FeedConfig(url=u, name=f"Feed {i}") for i, u in enumerate(urls)]
    store.sync_feeds(configs, datetime.now(UTC) - timedelta(seconds=1))


def test_three_workers_poll_2000_feeds_once_each_and_alert_once_per_match(
    feed_server: FeedServer, sink: SmtpSink, store: PostgresStore, pg_url: str, tmp_path: Path
) -> None:
    rng = random.Random(10)
    urls = []
    for i in range(2000):
        hot = i % 20 == 0
        title = f"Rockets hit {words(rng, 3)}" if hot else f"Football derby {words(rng, 3)}"
        feed_server.routes[f"/f{i}.xml"] = Route(body=rss_now(f"g{i}", title, words(rng, 6)))
        urls.append(feed_server.url(f"/f{i}.xml"))
    config = write_config(tmp_path, urls, sink.port)
    sync(store, urls)
    workers = [monitor(config, pg_url, "poll") for _ in range(3)]
    outputs = [finish(w) for w in workers]

    polled = [int(out.split("polled ")[1].split(" ")[0]) for out in outputs]
    assert sum(polled) == 2000 and sum(1 for n in polled if n) >= 2, outputs
    assert set(Counter(r.path for r in feed_server.requests).values()) == {1}
    assert store.count_items() == 2000
    assert len(store.list_matches()) == 100
    message_ids = [str(r.message["Message-ID"]) for r in sink.received]
    assert len(message_ids) == len(set(message_ids)) == 100
    sent = store.list_outbox(status="sent")
    assert len(sent) == 100 and {r.message_id for r in sent} == set(message_ids)


def test_a_worker_stopped_past_its_lease_has_its_late_results_rejected(
    feed_server: FeedServer, sink: SmtpSink, store: PostgresStore, pg_url: str, tmp_path: Path
) -> None:
    served: list[int] = []

    def versions(handler: BaseHTTPRequestHandler) -> None:
        served.append(len(served) + 1)
        if len(served) == 1:
            time.sleep(0.5)  # the test stops that worker while it waits for this answer
        body = rss_now(f"v{len(served)}", f"Version {len(served)}", "text")
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    feed_server.routes["/f.xml"] = Route(handler=versions)
    urls = [feed_server.url("/f.xml")]
    config = write_config(tmp_path, urls, sink.port, lease="3s", timeout="2s")
    sync(store, urls)
    stalled = monitor(config, pg_url, "poll")
    wait_for(lambda: bool(served), 30, "the first worker's request")
    os.kill(stalled.pid, signal.SIGSTOP)
    try:
        time.sleep(3.5)  # its lease runs out while it is stopped
        assert "polled 1 feeds" in finish(monitor(config, pg_url, "poll"))
    finally:
        os.kill(stalled.pid, signal.SIGCONT)
    assert "1 lost leases" in finish(stalled)

    assert [i.key for i in store.iter_items()] == ["v2"]
    [feed] = store.list_feeds()
    assert (feed.last_status, feed.last_error, feed.items_seen, feed.lease_token) == (
        200, None, 1, None
    )


def test_a_killed_worker_s_feeds_are_picked_up_by_another_after_its_lease(
    feed_server: FeedServer, sink: SmtpSink, store: PostgresStore, pg_url: str, tmp_path: Path
) -> None:
    rng = random.Random(3)
    urls = []
    for i in range(30):
        body = rss_now(f"k{i}", f"Item {words(rng, 3)}", words(rng, 10))
        feed_server.routes[f"/k{i}.xml"] = Route(body=body, delay_s=2.5)
        urls.append(feed_server.url(f"/k{i}.xml"))
    config = write_config(tmp_path, urls, sink.port, lease="5s", timeout="4s", tick="0.5s")
    sync(store, urls)
    doomed = monitor(config, pg_url, "run", "--no-web")
    wait_for(lambda: len(feed_server.requests) == 30, 30, "the doomed worker's 30 requests")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()
    killed_at = time.monotonic()
    survivor = monitor(config, pg_url, "run", "--no-web")
    try:
        wait_for(lambda: store.count_items() == 30, 60, "the survivor to poll every feed")
        assert time.monotonic() - killed_at > 2.5  # not before the dead worker's leases expired
        listed = json.loads(finish(monitor(config, pg_url, "workers", "--json")))
    finally:
        survivor.send_signal(signal.SIGTERM)
        finish(survivor)
    assert len(feed_server.requests) == 60
    by_status = {w["pid"]: w["status"] for w in listed}
    assert by_status[doomed.pid] == "dead" and by_status[survivor.pid] == "alive"
    assert {w["feeds_polled"] for w in listed if w["pid"] == doomed.pid} == {0}


def test_sixteen_concurrent_digest_senders_send_one_digest(
    sink: SmtpSink, store: PostgresStore, pg_url: str
) -> None:
    settings = mail_settings(sink.port)
    store_items(store, settings, "AM wire", [story_item("a1", "Rockets hit Baghdad")],
                T0 + timedelta(hours=1))
    due = T0 + timedelta(hours=4)  # 19:00 in Baghdad, after the 18:00 digest
    senders = [PostgresStore(pg_url, pool_size=1) for _ in range(16)]
    gate = threading.Barrier(16)

    def send(s: PostgresStore) -> None:
        gate.wait()
        deliver_due(s, settings, due)

    threads = [threading.Thread(target=send, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in senders:
        s.close()
    kinds = Counter(str(r.message["X-Monitor-Kind"]) for r in sink.received)
    assert kinds["digest"] == 1
    assert [r.kind for r in store.list_outbox() if r.kind == "digest"] == ["digest"]


def cli(config: Path, url: str, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)],
                              env={"MONITOR_DATABASE_URL": url})


def test_only_monitor_migrate_updates_a_postgresql_schema(
    pg_fresh_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, [], 25)
    refused = cli(config, pg_fresh_url, "feeds", "list")
    assert refused.exit_code == 2
    assert "schema out of date, run monitor migrate" in refused.output
    assert cli(config, pg_fresh_url, "migrate").exit_code == 0
    assert cli(config, pg_fresh_url, "feeds", "list", "--json").output.strip() == "[]"
    beating = PostgresStore(pg_fresh_url)
    beating.heartbeat("w1", "host-a", 7, datetime.now(UTC), 12)
    beating.close()
    table = cli(config, pg_fresh_url, "workers").output
    assert "w1" in table and "host-a" in table and "alive" in table and "12" in table


def test_db_copy_moves_a_sqlite_installation_with_its_ids(
    store: PostgresStore, pg_url: str, tmp_path: Path
) -> None:
    lite = SqliteStore(tmp_path / "old.db")
    lite.migrate()
    settings = mail_settings(25)
    store_items(lite, settings, "AM wire", [story_item("a1", "Rockets hit Baghdad")], T0)
    lite.heartbeat("w1", "host", 7, T0, 3)
    copied = CliRunner().invoke(
        main, ["db", "copy", "--from", f"sqlite:///{tmp_path / 'old.db'}", "--to", pg_url]
    )
    assert copied.exit_code == 0, copied.output
    assert "items: 1 rows" in copied.output
    assert store.list_matches() == lite.list_matches()
    assert store.list_feeds() == lite.list_feeds()
    assert store.list_stories() == lite.list_stories()
    assert store.list_outbox() == lite.list_outbox()
    assert store.list_workers() == lite.list_workers()
    assert store.add_feed("https://new.example/rss", "New", T0) > lite.list_feeds()[0].id
    again = CliRunner().invoke(
        main, ["db", "copy", "--from", f"sqlite:///{tmp_path / 'old.db'}", "--to", pg_url]
    )
    assert again.exit_code == 2 and "already holds feeds" in again.output
    lite.close()
