"""The sender stage: due outbox rows → emails, with leases, bounded retries and backoff.

    send_due(store, mailer, settings, now)
     └► store.claim_outbox(now)              lease due rows (owner, until, one token)
         └► alerts.plan_alerts(...)          pure: cooldown roll-ups, flood guard, deferrals
             └► store.release_outbox(...)    rows that must wait, due again when they may go
         └► compose(delivery)                one message per delivery; Message-ID from its row
             └► mailer.send(message)         SMTP "250 OK" (or the .eml file written)
                 └► store.complete_outbox()  marked sent at once, fenced by the token

Failures: a permanent one (5xx, bad address) marks the rows 'failed' with the reason, visible
in `monitor outbox`; a transient one (refused, timeout, 4xx) counts an attempt and retries after
an exponential backoff (30 s doubling to 1 h) up to MAX_ATTEMPTS, then gives up the same way.
After a transient failure the rest of the batch is handed back unattempted: the server is
probably unwell, and the next tick tries again.

Crash safety (kill -9 anywhere): a claimed row stays 'pending'; its lease expires after
`worker.lease` and the next sender claims it again, so nothing is lost. The batch stops handing
out messages when half the lease has gone, and `mailer_for` keeps the SMTP timeout to a quarter
of it, so a slow server cannot let a lease expire (and another worker send the same rows) while
we still send from it. The one window for a duplicate is between the server's "250 OK" and the
commit of `complete_outbox` — a few milliseconds of local SQLite work. A message resent after a
crash in that window carries the same Message-ID, so mail clients and archives can fold it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.config import Settings
from monitor.errors import PermanentMailError, TransientMailError
from monitor.notify.alerts import Delivery, cooldowns_of, history_since, plan_alerts
from monitor.notify.compose import compose
from monitor.notify.mailer import Mailer
from monitor.records import OutboxRow
from monitor.store.base import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 15
FIRST_RETRY_S = 30.0
MAX_RETRY_S = 3600.0
BATCH = 100


@dataclass
class SendReport:
    """What one `send_due` did: emails sent (and the rows they carried), rows retried later,
    rows failed for good, rows deferred by a cooldown or the flood guard."""

    sent: int = 0
    rows: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0


def retry_delay_s(attempts: int) -> float:
    """Backoff after the `attempts`-th failed attempt (1 = first)."""
    return min(FIRST_RETRY_S * 2.0 ** min(max(attempts, 1) - 1, 20), MAX_RETRY_S)


def default_owner() -> str:
    return f"sender:{socket.gethostname()}:{os.getpid()}"


def send_due(
    store: Store,
    mailer: Mailer,
    settings: Settings,
    now: datetime,
    *,
    owner: str = "",
    limit: int = BATCH,
    kinds: Sequence[str] = (),
) -> SendReport:
    """Send what is due at `now` (one claimed batch); see the module docstring."""
    report = SendReport()
    lease_s = settings.worker.lease_s
    rows = store.claim_outbox(now, owner or default_owner(), lease_s, limit, kinds)
    if not rows:
        return report
    token = rows[0].lease_token or ""
    jobs = _plan(store, rows, settings, now, token, report)
    deadline = time.monotonic() + lease_s / 2
    for i, job in enumerate(jobs):
        if time.monotonic() > deadline:
            _hand_back(store, jobs[i:], token, now)
            break
        if not _deliver(store, mailer, settings, job, token, now, report):
            _hand_back(store, jobs[i + 1 :], token, now)
            break
    log.info(
        "outbox_sent emails=%d rows=%d retried=%d failed=%d deferred=%d",
        report.sent, report.rows, report.retried, report.failed, report.deferred,
    )
    return report


def _plan(
    store: Store,
    rows: Sequence[OutboxRow],
    settings: Settings,
    now: datetime,
    token: str,
    report: SendReport,
) -> list[Delivery]:
    """Alerts first (after cooldowns and the flood guard), then digests and feed reports."""
    alert_rows = [r for r in rows if r.kind == "alert"]
    others = [Delivery((r,)) for r in rows if r.kind != "alert"]
    if not alert_rows:
        return others
    cooldowns = cooldowns_of(settings.rules)
    history = store.sent_alerts(history_since(now, cooldowns))
    plan = plan_alerts(alert_rows, history, cooldowns, settings.email.max_per_hour, now)
    for deferral in plan.deferrals:
        store.release_outbox([r.id for r in deferral.rows], token, deferral.until)
        report.deferred += len(deferral.rows)
    return [*plan.deliveries, *others]


def _hand_back(store: Store, jobs: Sequence[Delivery], token: str, now: datetime) -> None:
    ids = [r.id for job in jobs for r in job.rows]
    if ids:
        store.release_outbox(ids, token, now)


def _deliver(
    store: Store,
    mailer: Mailer,
    settings: Settings,
    job: Delivery,
    token: str,
    now: datetime,
    report: SendReport,
) -> bool:
    """Send one delivery and record the outcome; False after a transient failure."""
    ids = [r.id for r in job.rows]
    message = compose(job, settings, now)
    message_id = str(message["Message-ID"])
    try:
        mailer.send(message)
    except PermanentMailError as e:
        store.fail_outbox(ids, token, str(e), now, permanent=True)
        report.failed += len(ids)
        log.warning("outbox_failed ids=%s message_id=%s error=%r", ids, message_id, str(e))
        return True
    except TransientMailError as e:
        _retry_later(store, job, token, str(e), now, report)
        return False
    if not store.complete_outbox(ids, token, now, message_id):
        log.warning("outbox_lease_lost ids=%s message_id=%s", ids, message_id)
    report.sent += 1
    report.rows += len(ids)
    return True


def _retry_later(
    store: Store, job: Delivery, token: str, error: str, now: datetime, report: SendReport
) -> None:
    ids = [r.id for r in job.rows]
    attempts = max(r.attempts for r in job.rows) + 1
    give_up = attempts >= MAX_ATTEMPTS
    if give_up:
        error = f"{error} (gave up after {attempts} attempts)"
        report.failed += len(ids)
    else:
        report.retried += len(ids)
    retry_at = now + timedelta(seconds=retry_delay_s(attempts))
    store.fail_outbox(ids, token, error, retry_at, permanent=give_up)
    log.warning("outbox_retry ids=%s attempts=%d error=%r give_up=%s", ids, attempts, error,
                give_up)
