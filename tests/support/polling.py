"""Shared pieces of the poll-path integration tests: sample entries, a settable clock, settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import FeedConfig, FetchSettings, RuleConfig, Settings, WorkerSettings
from monitor.pipeline import poll_cycle
from monitor.runtime import poll_context
from monitor.store.base import Store
from monitor.types import CycleStats

GREEN_ZONE = (
    "gz-1",
    "Rockets hit Baghdad's Green Zone",
    "BAGHDAD (AM) - Two rockets struck near the U.S. Embassy in Baghdad; C-RAM fired.",
)
FOOTBALL = ("fb-1", "Striker scores a rocket from 30 yards", "A stunning goal in the derby match.")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_settings(tmp_path: Path, feeds: list[FeedConfig], timeout_s: float = 5.0) -> Settings:
    return Settings(
        path=tmp_path / "monitor.toml",
        fetch=FetchSettings(
            interval_s=600, min_interval_s=60, timeout_s=timeout_s, allow_private_networks=True
        ),
        worker=WorkerSettings(name="test-worker", lease_s=120),
        feeds=tuple(feeds),
        rules=(
            RuleConfig(
                name="iraq-attacks",
                query='(rocket* OR drone* OR "C-RAM") AND NOT (football OR goal OR match)',
                regions=("IQ",),
                severity="urgent",
                recipients=("duty@example.org",),
            ),
        ),
    )


def poll(settings: Settings, store: Store, clock: Clock, urls: tuple[str, ...] = ()) -> CycleStats:
    async def go() -> CycleStats:
        store.sync_feeds(settings.feeds, clock())
        async with poll_context(settings, store, clock=clock) as ctx:
            return await poll_cycle(ctx, urls)

    return asyncio.run(go())
