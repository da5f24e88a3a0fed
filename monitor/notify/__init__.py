"""Email through the transactional outbox (DESIGN §1).

`alerts` decides which alert rows the poll path queues and, at send time, cooldown roll-ups and
the flood guard; `digest` queues one digest per recipient per local day; `sender` claims due rows
and delivers them through a `mailer`; `compose` renders the templates in `templates/`.

This package's `__init__` stays import-light: the poll path imports `alerts` on every start.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.notify.mailer import Mailer
    from monitor.notify.sender import SendReport
    from monitor.store.base import Store


def deliver_due(
    store: Store, settings: Settings, now: datetime, mailer: Mailer | None = None
) -> SendReport:
    """One notification step: queue the digests that are due, then send everything due."""
    from monitor.notify.digest import enqueue_due
    from monitor.notify.mailer import mailer_for
    from monitor.notify.sender import send_due

    enqueue_due(store, settings, now)
    mailer = mailer or mailer_for(settings.email, settings.worker.lease_s)
    return send_due(store, mailer, settings, now)


__all__ = ["deliver_due"]
