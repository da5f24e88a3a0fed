"""Mail test helpers: a real SMTP server on loopback (aiosmtpd) with scripted replies, and
storing items through the poll transaction so their alert rows are queued as in production."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.config import DigestSettings, EmailSettings, RuleConfig, Settings, WorkerSettings
from monitor.notify import alerts
from monitor.store.base import Store
from monitor.types import FeedResult, GeoTags, Item, Match, NewItem, TermHit

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
URGENT = RuleConfig(
    name="iraq-attacks", query='rocket* OR "C-RAM"', regions=("IQ",), severity="urgent",
    recipients=("duty@example.org",),
)
NORMAL = RuleConfig(name="iran-nuclear", query="uranium", severity="normal")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpSink:
    """aiosmtpd as a real SMTP server on 127.0.0.1. `replies` scripts the next DATA answers
    (e.g. "451 4.3.0 try later"); anything but 250 is not recorded as received."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    login: tuple[str, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def start(self) -> Self:
        if self.login is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        else:
            # Plain-text AUTH on loopback (aiosmtpd warns about it on each connection).
            self._controller = Controller(
                self, hostname="127.0.0.1", port=self.port, authenticator=self._authenticate,
                auth_require_tls=False, auth_required=True,
            )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(
            data, LoginPassword) else None
        return AuthResult(success=given == self.login, handled=False)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            reply = self.replies.pop(0) if self.replies else "250 Message accepted"
            if reply.startswith("250"):
                message = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(message, EmailMessage)
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), message)
                )
        return reply

    def subjects(self) -> list[str]:
        return [str(r.message["Subject"]) for r in self.received]


def mail_settings(port: int, *, rules: Sequence[RuleConfig] = (URGENT, NORMAL),
                  max_per_hour: int = 20, **digest: Any) -> Settings:
    return Settings(
        worker=WorkerSettings(name="test", lease_s=60),
        rules=tuple(rules),
        email=EmailSettings(sender="monitor@example.org", smtp_host="127.0.0.1",
                            smtp_port=port, admin="ops@example.org", max_per_hour=max_per_hour),
        digest=DigestSettings(**{"timezone": "Asia/Baghdad", "time": "18:00",
                                 "recipients": ("desk@example.org",), **digest}),
    )


def story_item(key: str, title: str, *, source: str = "AM wire", country: str = "IQ",
               published: datetime = T0, rule: RuleConfig = URGENT) -> NewItem:
    item = Item(
        key=key, feed_id=0, source=source, title=title, summary=f"{title}. More text.",
        link=f"https://{source.split()[0].lower()}.example/{key}", published_at=published,
        geo=GeoTags((country,), country, ()),
    )
    match = Match(rule.name, rule.severity, ("rocket*",), (TermHit("rocket*", "title", 0, 7),),
                  (country,))
    return NewItem(item, (match,))


def store_items(store: Store, settings: Settings, source: str, items: Sequence[NewItem],
                now: datetime, story_key: alerts.StoryKey = alerts.item_story_key) -> None:
    """Store `items` as one poll of the feed named `source`, alert rows in the same transaction."""
    url = f"https://{source.split()[0].lower()}.example/rss"
    feed_id = store.add_feed(url, source, now)
    [feed] = store.claim_due_feeds(now, "poller", 60, 1, urls=[url])
    fixed = tuple(
        NewItem(Item(**{**vars(n.item), "feed_id": feed_id, "fetched_at": now}), n.matches)
        for n in items
    )
    result = FeedResult(
        feed_id=feed_id, lease_token=feed.lease_token or "", checked_at=now,
        next_check_at=now + timedelta(minutes=10), status=200, error=None, error_count=0,
        etag=None, last_modified=None, items=fixed,
        outbox=alerts.for_new_items(fixed, settings, now, story_key),
    )
    assert store.complete_feed(result, "poller")
