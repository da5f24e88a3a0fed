from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.feed_server import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()
