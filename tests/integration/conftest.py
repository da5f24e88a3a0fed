from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store import open_store
from monitor.store.base import Store
from tests.support.feed_server import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store("sqlite:///monitor.db", tmp_path)
    s.migrate()
    yield s
    s.close()
