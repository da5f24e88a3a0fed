"""`monitor run` stops cleanly on SIGTERM/SIGINT after storing the feeds in hand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.store import open_store
from tests.support.feed_server import FeedServer, Route, rss
from tests.support.polling import GREEN_ZONE


def write_config(tmp_path: Path, server: FeedServer) -> Path:
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///monitor.db"\n\n'
        '[fetch]\ninterval = "5m"\nmin_interval = "5m"\ntimeout = "20s"\n'
        "allow_private_networks = true\n\n"
        '[worker]\ntick = "1s"\nlease = "1m"\n\n'
        f'[[feeds]]\nurl = "{server.url("/slow.xml")}"\nname = "Slow"\n\n'
        '[email]\nsmtp_host = ""\noutbox_dir = "mail"\n'
    )
    return config


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_finishes_the_feed_in_hand_then_exits_cleanly(
    tmp_path: Path, feed_server: FeedServer, sig: signal.Signals
) -> None:
    feed_server.routes["/slow.xml"] = Route(body=rss([GREEN_ZONE]), delay_s=2.0)
    config = write_config(tmp_path, feed_server)
    worker = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--no-web", "--config", str(config)],
        env={**os.environ, "MONITOR_CONFIG": str(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not feed_server.requests_to("/slow.xml") and time.monotonic() < deadline:
        time.sleep(0.05)

    worker.send_signal(sig)
    output, _ = worker.communicate(timeout=30)

    assert worker.returncode == 0, output.decode(errors="replace")
    store = open_store("sqlite:///monitor.db", tmp_path)
    [feed] = store.list_feeds()
    store.close()
    assert feed.last_status == 200 and feed.items_seen == 1
    assert len(feed_server.requests_to("/slow.xml")) == 1
