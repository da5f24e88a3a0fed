"""The long-running worker: APScheduler ticks, the database decides what is due.

Every `worker.tick` the job runs one poll cycle (coalesced, never two at once), then one
notification step in a thread (queue due digests, send due outbox rows). SIGINT/SIGTERM
set the stop flag: no new feeds are claimed, the feeds in hand finish and are stored, then the
loop exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

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

    def stop(self) -> None:
        if not self.ctx.stopping.is_set():
            log.info("worker_stopping owner=%s", self.ctx.owner)
            self.ctx.stopping.set()

    async def tick(self) -> None:
        """One cycle, unless stopping or a cycle is still running."""
        if self.ctx.stopping.is_set() or self._busy.locked():
            return
        async with self._busy:
            await poll_cycle(self.ctx)
            ctx = self.ctx
            await asyncio.to_thread(deliver_due, ctx.store, ctx.settings, ctx.clock(), self.mailer)
            self.cycles += 1

    async def run(self, *, handle_signals: bool = True) -> None:
        """Tick until stopped; returns after the cycle in progress has finished."""
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
        scheduler.start()
        log.info("worker_started owner=%s feeds=%d", self.ctx.owner, len(self.ctx.settings.feeds))
        try:
            await self.ctx.stopping.wait()
        finally:
            scheduler.shutdown(wait=False)
            async with self._busy:
                log.info("worker_stopped owner=%s cycles=%d", self.ctx.owner, self.cycles)

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
