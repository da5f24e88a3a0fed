"""Assemble the live parts a worker polls with from Settings (the one place that wires them)."""

from __future__ import annotations

import os
import random
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx

from monitor.config import Settings
from monitor.fetch import Fetcher, request_headers
from monitor.pipeline import Matcher, PollContext, Tagger
from monitor.store.base import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


def worker_name(settings: Settings) -> str:
    return settings.worker.name or f"{socket.gethostname()}:{os.getpid()}"


def build_rules(settings: Settings) -> Matcher:
    """Compile every rule; a bad rule raises RuleError (never skipped silently)."""
    from monitor.geo.regions import region_countries
    from monitor.match import RuleBook

    return RuleBook.build(settings.rules, lambda name: region_countries(name, settings.regions))


def build_tagger(settings: Settings) -> Tagger:
    from monitor.geo import load_tagger

    return load_tagger(settings.places)


@asynccontextmanager
async def poll_context(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], datetime] = utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[PollContext]:
    """A PollContext whose HTTP client is closed on exit."""
    async with Fetcher(settings.fetch, transport=transport) as fetcher:
        yield PollContext(
            settings=settings,
            store=store,
            fetcher=fetcher,
            rules=build_rules(settings),
            tagger=build_tagger(settings),
            owner=worker_name(settings),
            clock=clock,
            rng=random.Random(),
            feed_headers={f.url: request_headers(f) for f in settings.feeds},
        )
