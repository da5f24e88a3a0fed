"""The long-running worker: APScheduler ticks, the database decides what is due.

Every `worker.tick` the job runs one poll cycle (coalesced, never two at once), then one
notification step in a thread (queue due digests, send due outbox rows). A second job records
a heartbeat every tick, even while a long cycle runs (the `workers` table behind
`monitor workers`: a worker whose heartbeats stop is dead, and its leases simply expire).
A worker refuses to start on an out-of-date schema: `monitor migrate` updates it, never two
workers at once. SIGINT/SIGTERM set the stop flag: no new feeds are claimed, the feeds in hand
finish and are stored, then the loop exits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.errors import StoreError
from monitor.notify import deliver_due
from monitor.notify.mailer import Mailer, mailer_for
from monitor.pipeline import PollContext, poll_cycle

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, ctx: PollContext, mailer: Mailer | None = None) -> None:
        self.ctx = ctx
        self.mailer = mailer or mailer_for(ctx.settings.email, ctx.settings.worker.lease_s)
        self._busy = asyncio.Lock()
        self.cycles = 0
        self.feeds_polled = 0

    def stop(self) -> None:
        if not self.ctx.stopping.is_set():
            log.info("worker_stopping owner=%s", self.ctx.owner)
            self.ctx.stopping.set()

    async def tick(self) -> None:
        """One cycle, unless stopping or a cycle is still running."""
        if self.ctx.stopping.is_set() or self._busy.locked():
            return
        async with self._busy:
            stats = await poll_cycle(self.ctx)
            self.feeds_polled += stats.feeds
            ctx = self.ctx
            await asyncio.to_thread(deliver_due, ctx.store, ctx.settings, ctx.clock(), self.mailer)
            self.cycles += 1

    def heartbeat(self, *, stopped: bool = False) -> None:
        """Tell the database we are alive (and how many feeds we have polled)."""
        ctx = self.ctx
        if ctx.stopping.is_set() and not stopped:
            return
        ctx.store.heartbeat(ctx.owner, socket.gethostname(), os.getpid(), ctx.clock(),
                            self.feeds_polled, stopped=stopped)

    async def run(self, *, handle_signals: bool = True) -> None:
        """Tick until stopped; returns after the cycle in progress has finished."""
        if not self.ctx.store.schema_is_current():
            raise StoreError("database schema out of date: run `monitor migrate`")
        self.ctx.store.sync_feeds(self.ctx.settings.feeds, self.ctx.clock())
        if handle_signals:
            self._install_signal_handlers()
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.ctx.settings.worker.tick_s,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )
        self.heartbeat()
        scheduler.add_job(
            self.heartbeat, "interval", seconds=self.ctx.settings.worker.tick_s, coalesce=True,
            max_instances=1,
        )
        scheduler.start()
        log.info("worker_started owner=%s feeds=%d", self.ctx.owner, len(self.ctx.settings.feeds))
        try:
            await self.ctx.stopping.wait()
        finally:
            # Shutting the scheduler down cancels a running job, so first stop new runs and let
            # the cycle in hand finish and store its feeds.
            scheduler.pause()
            async with self._busy:
                scheduler.shutdown(wait=False)
                self.heartbeat(stopped=True)
                log.info("worker_stopped owner=%s cycles=%d", self.ctx.owner, self.cycles)

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
